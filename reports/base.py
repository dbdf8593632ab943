"""What every report is: a slug, a translated title and definition, typed columns, rows and a
total — the envelope the API returns and the exports write."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from geo.models import Commune, Village

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
    """The fields to GROUP BY, from the counted row (`prefix` leads to its household): unit
    ids only (their names come from `UnitNames`, not from a join per counted row)."""
    return {
        "commune": [f"{prefix}commune_id"],
        "village": [f"{prefix}commune_id", f"{prefix}village_id"],
        "none": [],
    }[group_by]


def group_key(row: dict[str, Any], group_by: str, prefix: str = "") -> tuple:
    return tuple(row[f] for f in group_fields(group_by, prefix))


class UnitNames:
    """The names of the communes and villages of some group keys, in two small queries."""

    def __init__(self, keys: Iterable[tuple]):
        keys = list(keys)
        communes = {k[0] for k in keys if k}
        villages = {k[1] for k in keys if len(k) > 1 and k[1] is not None}
        self.communes = (
            dict(Commune.objects.filter(code__in=communes).values_list("code", "name"))
            if communes
            else {}
        )
        self.villages = (
            dict(Village.objects.filter(id__in=villages).values_list("id", "name"))
            if villages
            else {}
        )

    def columns(self, key: tuple) -> dict[str, Any]:
        """The group's key columns: commune code and name (and village id and name)."""
        if not key:
            return {}
        out = {"commune": key[0], "commune_name": self.communes.get(key[0])}
        if len(key) > 1:
            village = key[1]
            out["village"] = None if village is None else str(village)
            out["village_name"] = self.villages.get(village)
        return out

    def sort_key(self, key: tuple) -> tuple:
        """Rows by commune code, then village name (households of no village last)."""
        if len(key) > 1:
            name = self.villages.get(key[1])
            return (key[0], name is None, name or "")
        return key
