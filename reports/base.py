"""What every report is: a slug, a translated title and definition, typed columns, rows and a
total — the envelope the API returns and the exports write."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from .params import Selection

TYPES = ("text", "integer", "money", "rate", "date", "decimal")


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # a lazy translated string
    type: str = "integer"

    def json(self) -> dict[str, str]:
        return {"key": self.key, "label": str(self.label), "type": self.type}


@dataclass(frozen=True)
class Table:
    """A computed report: its columns, rows and total (None when it has none)."""

    columns: list[Column]
    rows: list[dict[str, Any]]
    total: dict[str, Any] | None


@dataclass(frozen=True)
class Report:
    slug: str
    title: Any
    definition: Any
    compute: Callable[[Selection], Table]
    per_standard: bool = True  # figures per standard (False: no standards involved)


def rate(part: int | None, whole: int | None) -> float | None:
    """A fraction 0..1 rounded to 4 places; None when there is nothing to divide by."""
    if not whole or part is None:
        return None
    return round(part / whole, 4)


def per_standard(measure: str, codes: Iterable[str]) -> list[str]:
    return [f"{measure}__{code}" for code in codes]


def standard_columns(specs: list[tuple[str, Any, str]], codes: list[str]) -> list[Column]:
    """One column per (measure, standard): `<measure>__<code>`, labelled "<label> (<code>)"."""
    return [
        Column(f"{measure}__{code}", _label_with_code(label, code), kind)
        for code in codes
        for measure, label, kind in specs
    ]


class _label_with_code:
    def __init__(self, label, code: str):
        self.label, self.code = label, code

    def __str__(self) -> str:
        return f"{self.label} ({self.code})"


COMMUNE = Column("commune", _("Commune code"), "text")
COMMUNE_NAME = Column("commune_name", _("Commune"), "text")
VILLAGE = Column("village", _("Village id"), "text")
VILLAGE_NAME = Column("village_name", _("Village"), "text")
YEAR = Column("year", _("Year"), "integer")


def group_columns(group_by: str) -> list[Column]:
    return {
        "commune": [COMMUNE, COMMUNE_NAME],
        "village": [COMMUNE, COMMUNE_NAME, VILLAGE, VILLAGE_NAME],
        "year": [YEAR],
        "none": [],
    }[group_by]


def group_fields(group_by: str, prefix: str = "") -> list[str]:
    """The fields to GROUP BY, from the counted row (`prefix` leads to its household)."""
    return {
        "commune": [f"{prefix}commune_id", f"{prefix}commune__name"],
        "village": [
            f"{prefix}commune_id",
            f"{prefix}commune__name",
            f"{prefix}village_id",
            f"{prefix}village__name",
        ],
        "none": [],
    }[group_by]


def group_key(row: dict[str, Any], group_by: str, prefix: str = "") -> tuple:
    return tuple(row[f] for f in group_fields(group_by, prefix))


def key_columns(key: tuple, group_by: str) -> dict[str, Any]:
    names = {
        "commune": ["commune", "commune_name"],
        "village": ["commune", "commune_name", "village", "village_name"],
        "none": [],
    }[group_by]
    out = dict(zip(names, key, strict=True))
    if "village" in out and out["village"] is not None:
        out["village"] = str(out["village"])
    return out


def sort_key(key: tuple) -> tuple:
    """Rows by commune code, then village name (households of no village last)."""
    if len(key) == 4:
        return (key[0], key[3] is None, key[3] or "")
    return key
