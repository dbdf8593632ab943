"""Poverty reports from the official statuses and the assessments behind them: rates,
transitions, the deprivation profile and the Alkire–Foster measures. Each is a few GROUP BY
queries with conditional counts (no loop over households)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

from django.db.models import Aggregate, Count, F, Q, QuerySet, Sum
from django.db.models.lookups import GreaterThan
from django.utils.translation import gettext_lazy as _

from core.languages import in_language
from households.models import Household
from poverty.choices import Classification
from poverty.models import Indicator, OfficialStatus, StatusEvent

from . import counts
from .base import (
    Column,
    Table,
    UnitNames,
    group_columns,
    group_fields,
    group_key,
    rate,
    standard_columns,
)
from .models import HouseholdCount
from .params import Selection, in_register_q, status_on_q

POOR, NEAR_POOR = Classification.POOR, Classification.NEAR_POOR


def _grouped(qs, fields: list[str], aggregates: dict[str, Any]) -> list[dict[str, Any]]:
    """GROUP BY `fields` (none: one row over everything) with the aggregates."""
    if not fields:
        return [qs.aggregate(**aggregates)]
    return list(qs.values(*fields).annotate(**aggregates).order_by())


def _sum_rows(rows: list[dict[str, Any]], keys: list[str]) -> dict[str, int]:
    return {k: sum(r.get(k) or 0 for r in rows) for k in keys}


# ---------------------------------------------------------------------------- rates

RATE_SPECS = [
    ("poor", _("Poor households"), "integer"),
    ("near_poor", _("Near-poor households"), "integer"),
    ("poor_rate", _("Poverty rate"), "rate"),
    ("near_poor_rate", _("Near-poverty rate"), "rate"),
]
HOUSEHOLDS = Column("households", _("Households"))


def _rate_figures(households: int, counts: dict[str, Any], codes: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"households": households}
    for code in codes:
        poor, near = counts.get(f"poor__{code}") or 0, counts.get(f"near_poor__{code}") or 0
        out[f"poor__{code}"] = poor
        out[f"near_poor__{code}"] = near
        out[f"poor_rate__{code}"] = rate(poor, households)
        out[f"near_poor_rate__{code}"] = rate(near, households)
    return out


def _class_counts(codes: list[str], extra: Q | None = None, suffix: str = "") -> dict[str, Count]:
    return {
        f"{measure}__{code}{suffix}": Count(
            "id", filter=Q(standard__code=code, classification=cls) & (extra or Q())
        )
        for code in codes
        for measure, cls in (("poor", POOR), ("near_poor", NEAR_POOR))
    }


def registered(sel: Selection) -> tuple[QuerySet, Callable[..., Aggregate]]:
    """The rows the households of the selection are counted from, and how: the maintained
    counts (reports.models.HouseholdCount, summed) where they serve — on PostgreSQL, unless
    the households are chosen by their head — or else the register (counted). Either has the
    household's commune, village, status and status date, so the same filters apply."""
    if counts.maintained() and not sel.by_head:
        return HouseholdCount.objects.filter(sel.households_q()), lambda **kw: Sum("n", **kw)
    return Household.objects.filter(sel.households_q()), lambda **kw: Count("id", **kw)


def poverty_rates(sel: Selection) -> Table:
    v, codes = sel.values, sel.codes
    group_by = v["group_by"]
    columns = [*group_columns(group_by), HOUSEHOLDS, *standard_columns(RATE_SPECS, codes)]
    if group_by == "year":
        return _rates_by_year(sel, columns)
    on: date = v["as_of"]
    fields = group_fields(group_by)
    households, count = registered(sel)
    hh = {
        group_key(r, group_by): r["n"]
        for r in _grouped(households.filter(in_register_q(on)), fields, {"n": count()})
        if r["n"]
    }
    counts: dict[tuple, dict[str, Any]] = {}
    if codes:
        statuses = OfficialStatus.objects.filter(
            sel.households_q("household__"),
            in_register_q(on, "household__"),
            status_on_q(on),
            standard__code__in=codes,
            classification__in=[POOR, NEAR_POOR],
        )
        for r in _grouped(statuses, group_fields(group_by, "household__"), _class_counts(codes)):
            counts[group_key(r, group_by, "household__")] = r
    names = UnitNames(hh)
    rows = [
        {**names.columns(key), **_rate_figures(hh[key], counts.get(key, {}), codes)}
        for key in sorted(hh, key=names.sort_key)
    ]
    keys = [f"{m}__{c}" for c in codes for m in ("poor", "near_poor")]
    total = _rate_figures(sum(hh.values()), _sum_rows(list(counts.values()), keys), codes)
    if group_by == "none":
        rows = [total]
    return Table(columns, rows, total)


def _rates_by_year(sel: Selection, columns: list[Column]) -> Table:
    """Status on 31 December of each year of `year_from`..`year_to`: one query for the
    households, one for the statuses, each with a conditional count per year."""
    v, codes = sel.values, sel.codes
    years = range(v["year_from"], v["year_to"] + 1)
    ends = {y: date(y, 12, 31) for y in years}
    households, count = registered(sel)
    hh = households.aggregate(**{f"h{y}": count(filter=in_register_q(d)) for y, d in ends.items()})
    counts: dict[str, Any] = {}
    if codes:
        statuses = OfficialStatus.objects.filter(
            sel.households_q("household__"),
            standard__code__in=codes,
            classification__in=[POOR, NEAR_POOR],
            valid_from__lte=ends[years[-1]],
        )
        aggregates: dict[str, Count] = {}
        for y, d in ends.items():
            when = status_on_q(d) & in_register_q(d, "household__")
            aggregates |= _class_counts(codes, when, suffix=f"@{y}")
        counts = statuses.aggregate(**aggregates)
    rows = []
    for y in years:
        mine = {k.split("@")[0]: n for k, n in counts.items() if k.endswith(f"@{y}")}
        rows.append({"year": y, **_rate_figures(hh[f"h{y}"] or 0, mine, codes)})
    return Table(columns, rows, None)


# ---------------------------------------------------------------------------- transitions

EVENTS = [
    (StatusEvent.NEWLY_POOR, _("Newly poor")),
    (StatusEvent.ESCAPED, _("Escaped poverty")),
    (StatusEvent.RELAPSED, _("Relapsed into poverty")),
    (StatusEvent.VOLUNTARY_EXIT, _("Voluntary exits")),
]


def transitions(sel: Selection) -> Table:
    v, codes = sel.values, sel.codes
    group_by = v["group_by"]
    specs = [(str(event), label, "integer") for event, label in EVENTS]
    columns = [*group_columns(group_by), *standard_columns(specs, codes)]
    keys = [f"{event}__{code}" for code in codes for event, _label in EVENTS]
    if not codes:
        return Table(columns, [], None)
    statuses = OfficialStatus.objects.filter(
        sel.households_q("household__"),
        standard__code__in=codes,
        event__in=[e for e, _label in EVENTS],
        valid_from__gte=v["date_from"],
        valid_from__lte=v["date_to"],
    )
    aggregates = {
        f"{event}__{code}": Count("id", filter=Q(standard__code=code, event=event))
        for code in codes
        for event, _label in EVENTS
    }
    found = _grouped(statuses, group_fields(group_by, "household__"), aggregates)
    total = _sum_rows(found, keys)
    if group_by == "none":
        return Table(columns, [total], total)
    by_key = {group_key(r, group_by, "household__"): r for r in found}
    units = UnitNames(by_key)
    rows = [
        {**units.columns(key), **{k: by_key[key][k] for k in keys}}
        for key in sorted(by_key, key=units.sort_key)
    ]
    return Table(columns, rows, total)


# ---------------------------------------------------------------------------- indicators


def counted_statuses(sel: Selection):
    """The official statuses whose assessments a deprivation report counts: each household's
    status in force on `as_of` under each standard shown (so the assessment an approved
    decision rests on), of households in the register on that date."""
    on: date = sel.values["as_of"]
    return OfficialStatus.objects.filter(
        sel.households_q("household__"),
        in_register_q(on, "household__"),
        status_on_q(on),
        standard__code__in=sel.codes,
    )


def _deprived_in(bit: int) -> GreaterThan:
    """The counted status's assessment is deprived in the `bit`-th of its indicators."""
    return GreaterThan(F("deprived_mask").bitand(1 << bit), 0)


def indicator_rows(
    statuses, group_by: str, bits: int, aggregates: dict[str, Any], flag: Q
) -> dict[tuple, dict[str, Any]]:
    """Per (group key..., standard code): `aggregates`, and per indicator code the counted
    statuses deprived in it (`deprived`) and those of them matching `flag` (`flagged`).

    One GROUP BY over the statuses' copies of their assessments' results: a conditional count
    per bit of `deprived_mask`, grouped by the list of indicators the bits stand for as well
    (`indicator_codes`), then summed per code here. `bits`: how many to count; a list longer
    than that (not among the standards' indicators) counts again with all its bits."""
    fields = group_fields(group_by, "household__")
    per_bit = {}
    for b in range(bits):
        per_bit[f"d{b}"] = Count("id", filter=_deprived_in(b))
        per_bit[f"f{b}"] = Count("id", filter=flag & _deprived_in(b))
    found = _grouped(statuses, [*fields, "standard__code", "indicator_codes"], aggregates | per_bit)
    lists = [r["indicator_codes"].split(",") if r["indicator_codes"] else [] for r in found]
    longest = max(map(len, lists), default=0)
    if longest > bits:
        return indicator_rows(statuses, group_by, longest, aggregates, flag)
    out: dict[tuple, dict[str, Any]] = {}
    for r, listed in zip(found, lists, strict=True):
        key = (*group_key(r, group_by, "household__"), r["standard__code"])
        row = out.setdefault(key, dict.fromkeys(aggregates, 0))
        row.setdefault("deprived", defaultdict(int))
        row.setdefault("flagged", defaultdict(int))
        for name in aggregates:
            row[name] += r[name] or 0
        for b, code in enumerate(listed):
            row["deprived"][code] += r[f"d{b}"]
            row["flagged"][code] += r[f"f{b}"]
    return out


def indicator_names(codes: list[str]) -> tuple[dict[str, tuple[int, str, str]], int]:
    """Indicator code → (position, Vietnamese name, English name), from the standards shown
    (the first that lists it); and the most indicators any revision of them lists."""
    out: dict[str, tuple[int, str, str]] = {}
    listed: dict[Any, int] = defaultdict(int)
    for i in (
        Indicator.objects.filter(standard__code__in=codes)
        .order_by("standard__code", "-standard__revision", "position")
        .values_list("code", "position", "name_vi", "name_en", "standard_id")
    ):
        out.setdefault(i[0], tuple(i[1:4]))  # type: ignore[arg-type]
        listed[i[4]] += 1
    return out, max(listed.values(), default=0)


CENSORED = _("Censored headcount")
INDICATOR = Column("indicator", _("Indicator code"), "text")
INDICATOR_NAME = Column("indicator_name", _("Indicator"), "text")


def _indicator_name(names, code: str) -> str:
    _pos, vi, en = names.get(code, (0, code, code))
    return in_language(vi, en)


def deprivation_profile(sel: Selection) -> Table:
    v, codes = sel.values, sel.codes
    group_by = v["group_by"]
    specs = [
        ("assessed", _("Households assessed"), "integer"),
        ("deprived", _("Households deprived"), "integer"),
        ("deprived_share", _("Share of assessed households deprived"), "rate"),
        ("poor", _("Poor households"), "integer"),
        ("deprived_poor", _("Poor households deprived"), "integer"),
        ("deprived_share_poor", _("Share of poor households deprived"), "rate"),
    ]
    columns = [*group_columns(group_by), INDICATOR, INDICATOR_NAME, *standard_columns(specs, codes)]
    if not codes:
        return Table(columns, [], None)
    names, bits = indicator_names(codes)
    is_poor = Q(classification=POOR)
    aggregates = {"n": Count("id"), "poor": Count("id", filter=is_poor)}
    base = indicator_rows(counted_statuses(sel), group_by, bits, aggregates, is_poor)
    counts = {
        (*key, code): (n, b["flagged"][code])
        for key, b in base.items()
        for code, n in b["deprived"].items()
    }
    units = UnitNames(k[:-2] for k in counts)
    keys = sorted(
        {(k[:-2], k[-1]) for k in counts},
        key=lambda k: (units.sort_key(k[0]), names.get(k[1], (999,))[0], k[1]),
    )
    rows = []
    for group, indicator in keys:
        row = {
            **units.columns(group),
            "indicator": indicator,
            "indicator_name": _indicator_name(names, indicator),
        }
        for code in codes:
            b = base.get((*group, code), {"n": 0, "poor": 0})
            deprived, deprived_poor = counts.get((*group, code, indicator), (None, None))
            row |= {
                f"assessed__{code}": b["n"],
                f"deprived__{code}": deprived,
                f"deprived_share__{code}": rate(deprived, b["n"]),
                f"poor__{code}": b["poor"],
                f"deprived_poor__{code}": deprived_poor,
                f"deprived_share_poor__{code}": rate(deprived_poor, b["poor"]),
            }
        rows.append(row)
    return Table(columns, rows, None)


# ---------------------------------------------------------------------------- Alkire–Foster


def alkire_foster(sel: Selection) -> Table:
    """H, A, M0 and the censored headcount per indicator, per standard: a household is
    multidimensionally poor when deprived in at least the standard's minimum number of
    indicators (k), each indicator weighing the same, income not considered."""
    v, codes = sel.values, sel.codes
    group_by = v["group_by"]
    names, bits = indicator_names(codes)
    listed: dict[str, set[str]] = defaultdict(set)  # standard code → its indicators
    for code, indicator in Indicator.objects.filter(standard__in=sel.standards).values_list(
        "standard__code", "code"
    ):
        listed[code].add(indicator)
    n_indicators = {code: len(indicators) for code, indicators in listed.items()}
    specs = [
        ("assessed", _("Households assessed"), "integer"),
        ("mpoor", _("Multidimensionally poor households"), "integer"),
        ("H", _("Headcount ratio (H)"), "rate"),
        ("A", _("Intensity (A)"), "rate"),
        ("M0", _("Adjusted headcount ratio (M0)"), "rate"),
    ]
    indicator_codes = sorted(names, key=lambda c: (names[c][0], c))
    ch_specs = [(f"ch_{c}", _censored_label(c, names), "rate") for c in indicator_codes]
    columns = [*group_columns(group_by), *standard_columns(specs + ch_specs, codes)]
    if not codes:
        return Table(columns, [], None)
    is_poor = Q(deprivation_count__gte=F("standard__min_deprivations"))
    aggregates = {
        "n": Count("id"),
        "q": Count("id", filter=is_poor),
        "c": Sum("deprivation_count", filter=is_poor),
    }
    # censored headcounts: deprived and multidimensionally poor (`flagged`)
    base = indicator_rows(counted_statuses(sel), group_by, bits, aggregates, is_poor)
    units = UnitNames(k[:-1] for k in base)
    groups = sorted({k[:-1] for k in base}, key=units.sort_key)

    def figures(n: int, q: int, c: int, censored: dict[str, int], code: str) -> dict[str, Any]:
        d = n_indicators.get(code) or 0
        out = {
            f"assessed__{code}": n,
            f"mpoor__{code}": q,
            f"H__{code}": rate(q, n),
            f"A__{code}": rate(c, q * d),
            f"M0__{code}": rate(c, n * d),
        }
        for ind in indicator_codes:
            out[f"ch_{ind}__{code}"] = (
                rate(censored.get(ind, 0), n) if ind in listed[code] else None
            )
        return out

    rows, total = [], {}
    sums: dict[str, dict[str, Any]] = {
        c: {"n": 0, "q": 0, "c": 0, "ch": defaultdict(int)} for c in codes
    }
    for group in groups:
        row = units.columns(group)
        for code in codes:
            b = base.get((*group, code), {"n": 0, "q": 0, "c": 0, "flagged": {}})
            censored = b["flagged"]
            row |= figures(b["n"], b["q"], b["c"] or 0, censored, code)
            s = sums[code]
            s["n"], s["q"], s["c"] = s["n"] + b["n"], s["q"] + b["q"], s["c"] + (b["c"] or 0)
            for ind, n in censored.items():
                s["ch"][ind] += n
        rows.append(row)
    for code in codes:
        s = sums[code]
        total |= figures(s["n"], s["q"], s["c"], dict(s["ch"]), code)
    if group_by == "none":
        rows = [total]
    return Table(columns, rows, total)


class _censored_label:
    def __init__(self, code: str, names):
        self.code, self.names = code, names

    def __str__(self) -> str:
        return f"{CENSORED}: {_indicator_name(self.names, self.code)}"
