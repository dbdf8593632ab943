"""Public transparency: province-wide aggregates by commune that anyone may read, with no
personal data and small cells suppressed.

Three tables, each by commune of one province:

- budget: program capital allocated and disbursed in a year, by sub-project and capital
  source (`budget`);
- support: households supported in a year, and the support's amount, by package type
  (`support`);
- poverty rates: households registered and active, poor and near-poor households under one
  standard (current official statuses) and the rates (`poverty_rates`).

**Suppression** (`suppress_column`, `suppress_amounts`):

1. Primary: every count of households below 5 (0 to 4) is shown as the string "<5".
2. Complementary: within a column whose cells add up to a shown province total, the reader
   can subtract the shown cells from the total. When any cell is suppressed, further cells of
   5 or more (the smallest first) are suppressed with it — shown as null, flagged — until
   subtraction no longer narrows any suppressed small count below "anywhere from 0 to 4":
   the suppressed cells together must hold at least 4 more households than the reader knows
   they hold (5 for each complementary cell). When no such cells are left, the total is
   suppressed instead (null, flagged).
3. A rate whose numerator or denominator is suppressed is null and flagged.
4. Money is shown, except where it would reveal the support of fewer than 5 households: the
   amount of a commune × package-type cell whose household count is suppressed, and the
   disbursed amount of a budget cell paid to 1 to 4 households (with a complementary cell of
   5 or more households in the same sub-project and source, or else the total suppressed).

Suppression is applied per table; no table shows a total of totals. Each row lists the
names of its suppressed fields in `suppressed`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone

from core.access import Access
from geo.models import Commune
from poverty.choices import Classification
from poverty.models import PovertyStandard
from poverty.selectors import national_standard_in_force

from .choices import AssignmentState, LedgerKind, PackageKind
from .models import Assignment, LedgerEntry
from .selectors import (
    active_households_by_commune,
    allocations_in_area,
    current_status_counts,
    ledger_balances,
)

MIN_CELL = 5
SMALL = "<5"
# Support counts once it is approved: a proposal is not support yet.
SUPPORTED_STATES = (
    AssignmentState.APPROVED,
    AssignmentState.DELIVERED,
    AssignmentState.COMPLETED,
)

Cell = int | str | None


class UnknownStandard(ValueError):
    """No standard of that code (or no national standard in force)."""


# ---------------------------------------------------------------------------- suppression


def _safe(hidden: int, small: int, complementary: int) -> bool:
    """Whether a reader who knows the hidden cells' sum (`hidden`), that `small` of them are
    0–4 and `complementary` of them 5 or more, still cannot narrow any small one below 0–4."""
    if complementary == 0:
        return MIN_CELL - 1 <= hidden <= (MIN_CELL - 1) * (small - 1)
    return hidden - MIN_CELL * complementary >= MIN_CELL - 1


def suppress_column(counts: Sequence[int], total: int) -> tuple[list[Cell], Cell, set[int]]:
    """Counts of households of a column and their total, as shown: (cells, total, indexes
    of the cells suppressed as complements). Small counts are "<5"; complements and a total
    that must be hidden are None."""
    small = [i for i, n in enumerate(counts) if n < MIN_CELL]
    cells: list[Cell] = [SMALL if n < MIN_CELL else n for n in counts]
    if total < MIN_CELL:
        return cells, SMALL, set()
    if not small:
        return cells, total, set()
    hidden = sum(counts[i] for i in small)
    complements: set[int] = set()
    candidates = sorted((n, i) for i, n in enumerate(counts) if n >= MIN_CELL)
    for n, i in candidates:
        if _safe(hidden, len(small), len(complements)):
            break
        complements.add(i)
        hidden += n
    if not _safe(hidden, len(small), len(complements)):
        return cells, None, set()  # the total goes instead; the complements are not needed
    for i in complements:
        cells[i] = None
    return cells, total, complements


def suppress_amounts(
    households: Sequence[int], amounts: Sequence[int]
) -> tuple[list[int | None], int | None]:
    """Amounts of a column paid to `households` each, and their total, as shown: an amount
    paid to 1–4 households is hidden, with the smallest cell paid to 5 or more as its
    complement, or else the total."""
    shown: list[int | None] = list(amounts)
    total: int | None = sum(amounts)
    small = [i for i, n in enumerate(households) if 0 < n < MIN_CELL]
    if not small:
        return shown, total
    for i in small:
        shown[i] = None
    others = sorted((n, i) for i, n in enumerate(households) if n >= MIN_CELL)
    if others:
        shown[others[0][1]] = None
    else:
        total = None
    return shown, total


def rate(numerator: Cell, denominator: Cell) -> float | None:
    """Percentage with 2 decimals; None when either side is hidden or there is no one."""
    if not isinstance(numerator, int) or not isinstance(denominator, int) or not denominator:
        return None
    return round(100 * numerator / denominator, 2)


# ---------------------------------------------------------------------------- the tables


def _communes(province: str) -> list[tuple[str, str]]:
    return list(
        Commune.objects.filter(province_id=province).order_by("code").values_list("code", "name")
    )


def budget(*, province: str, year: int) -> dict[str, Any]:
    """Allocated and disbursed per commune (or province-wide) × sub-project × capital source
    of the province's allocations of the year, with totals per sub-project and source."""
    access = Access(province_codes=frozenset({province}))
    allocations = list(
        allocations_in_area(access)
        .filter(year=year)
        .select_related("sub_project", "commune")
        .order_by("sub_project__code", "source", "commune_id")
    )
    ids = [a.pk for a in allocations]
    balances = ledger_balances(ids)
    paid = dict(
        LedgerEntry.objects.filter(allocation_id__in=ids, kind=LedgerKind.DISBURSE)
        .values("allocation_id")
        .annotate(n=Count("assignment__household_id", distinct=True))
        .values_list("allocation_id", "n")
        .order_by()
    )
    columns: dict[tuple[str, str], list] = defaultdict(list)
    for a in allocations:
        columns[(a.sub_project.code, a.source)].append(a)
    rows, totals = [], []
    for (code, source), column in columns.items():
        disbursed, disbursed_total = suppress_amounts(
            [paid.get(a.pk, 0) for a in column], [balances[a.pk]["disbursed"] for a in column]
        )
        for a, shown in zip(column, disbursed, strict=True):
            rows.append(
                {
                    "commune": a.commune_id,
                    "commune_name": a.commune.name if a.commune else None,
                    "sub_project": code,
                    "sub_project_name": a.sub_project.name,
                    "source": source,
                    "allocated": a.amount,
                    "disbursed": shown,
                    "suppressed": [] if shown is not None else ["disbursed"],
                }
            )
        totals.append(
            {
                "sub_project": code,
                "sub_project_name": column[0].sub_project.name,
                "source": source,
                "allocated": sum(a.amount for a in column),
                "disbursed": disbursed_total,
                "suppressed": [] if disbursed_total is not None else ["disbursed"],
            }
        )
    return {"province": province, "year": year, "rows": rows, "totals": totals}


def support(*, province: str, year: int) -> dict[str, Any]:
    """Households supported in the year (approved, delivered or completed support) and the
    support's amount and disbursed part, per commune × package type, for every commune of the
    province with support that year and every package type given there, with totals per
    package type."""
    cells = {
        (r["household__commune_id"], r["package__kind"]): r
        for r in Assignment.objects.filter(
            household__commune__province_id=province, period=year, state__in=SUPPORTED_STATES
        )
        .values("household__commune_id", "package__kind")
        .annotate(
            n=Count("household_id", distinct=True), amount=Sum("amount"), paid=Sum("disbursed")
        )
        .order_by()
    }
    names = dict(_communes(province))
    communes = [(code, names[code]) for code in sorted({code for code, _ in cells})]
    kinds = sorted({kind for _, kind in cells}, key=list(PackageKind.values).index)
    rows, totals = [], []
    empty = {"n": 0, "amount": 0, "paid": 0}
    for kind in kinds:
        column = [cells.get((code, kind), empty) for code, _ in communes]
        counts = [c["n"] for c in column]
        shown, total, _ = suppress_column(counts, sum(counts))
        for (code, name), cell, count in zip(communes, column, shown, strict=True):
            visible = isinstance(count, int)
            rows.append(
                {
                    "commune": code,
                    "commune_name": name,
                    "package_kind": kind,
                    "households": count,
                    "amount": cell["amount"] if visible else None,
                    "disbursed": cell["paid"] if visible else None,
                    "suppressed": [] if visible else ["households", "amount", "disbursed"],
                }
            )
        visible = isinstance(total, int)
        totals.append(
            {
                "package_kind": kind,
                "households": total,
                "amount": sum(c["amount"] for c in column) if visible else None,
                "disbursed": sum(c["paid"] for c in column) if visible else None,
                "suppressed": [] if visible else ["households", "amount", "disbursed"],
            }
        )
    return {"province": province, "year": year, "rows": rows, "totals": totals}


def standard_for(code: str | None, on: date | None = None) -> PovertyStandard:
    """The standard of that code (its latest revision), or the national one in force."""
    if code:
        standard = PovertyStandard.objects.filter(code=code).order_by("-revision").first()
    else:
        standard = national_standard_in_force(on or timezone.localdate())
    if standard is None:
        raise UnknownStandard(code or "national standard in force")
    return standard


def poverty_rates(*, province: str, standard_code: str) -> dict[str, Any]:
    """Per commune of the province with households registered (a commune without any is
    left out): households registered and active (the denominator),
    poor and near-poor households among them (current official status under the standard)
    and the poverty and near-poverty rates (%), with the province's totals."""
    names = dict(_communes(province))
    households = active_households_by_commune(list(names))
    communes = [(code, names[code]) for code in sorted(households)]
    codes = [code for code, _ in communes]
    statuses = current_status_counts(
        codes,
        classifications=[Classification.POOR, Classification.NEAR_POOR],
        standard_code=standard_code,
        active_only=True,
    )
    columns = {
        "households": [households.get(c, 0) for c in codes],
        "poor": [statuses[(c, standard_code, Classification.POOR)] for c in codes],
        "near_poor": [statuses[(c, standard_code, Classification.NEAR_POOR)] for c in codes],
    }
    shown, total = {}, {}
    for name, counts in columns.items():
        shown[name], total[name], _ = suppress_column(counts, sum(counts))

    def row(values: dict[str, Cell]) -> dict[str, Any]:
        out = {
            **values,
            "poverty_rate": rate(values["poor"], values["households"]),
            "near_poverty_rate": rate(values["near_poor"], values["households"]),
        }
        hidden = [k for k in ("households", "poor", "near_poor") if not isinstance(values[k], int)]
        rates = (("poverty_rate", "poor"), ("near_poverty_rate", "near_poor"))
        out["suppressed"] = hidden + [
            name for name, part in rates if part in hidden or "households" in hidden
        ]
        return out

    rows = [
        {"commune": code, "commune_name": name} | row({k: shown[k][i] for k in columns})
        for i, (code, name) in enumerate(communes)
    ]
    return {
        "province": province,
        "standard": standard_code,
        "rows": rows,
        "total": row(total),
    }
