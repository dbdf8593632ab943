"""The supervision rules: one function per rule, each a few set-based queries over the whole
register, returning what it found (`Found`: the finding's key, subject, commune, period, the
reason in English and Vietnamese with its figures, and the API paths that show it).

They read the data as it is, however it came in (API, admin, registry sync, legacy loads):
the services already refuse some of these cases, supervision is for what went round them.
The thresholds are settings (README, "Supervision").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from cases.models import FollowUp
from core.formatting import format_date
from households.choices import HouseholdStatus
from poverty.models import OfficialStatus
from poverty.rules import format_vnd
from support import rules as support_rules
from support.choices import ACTIVE_STATES, AssignmentState
from support.models import (
    Assignment,
    AssignmentStep,
    Disbursement,
    PackageEligibility,
    PackageRate,
    SupportPackage,
)
from support.selectors import household_profile, package_terms
from support.selectors import packages as support_packages

from .choices import FindingRule

API = "/api/v1"
DECIDED_STATES = (AssignmentState.APPROVED, AssignmentState.DELIVERED, AssignmentState.COMPLETED)
CLOSED_STATES = (HouseholdStatus.MOVED_OUT, HouseholdStatus.DISSOLVED, HouseholdStatus.MERGED)
CLOSED_VI = {"moved_out": "chuyển đi", "dissolved": "giải thể", "merged": "nhập vào hộ khác"}


@dataclass(frozen=True)
class Found:
    """One thing a rule found, ready to become (or refresh) a Finding."""

    rule: str
    key: str
    commune_id: str
    period: int
    reason_en: str
    reason_vi: str
    evidence: list[str]
    figures: dict[str, Any] = field(default_factory=dict)
    household_id: Any = None
    assignment_id: Any = None
    disbursement_id: Any = None
    cadre_id: Any = None


def _path(kind: str, pk: Any) -> str:
    return f"{API}/{kind}/{pk}/"


def _vnd(amount: int) -> tuple[str, str]:
    return format_vnd(int(amount), False), format_vnd(int(amount), True)


def _decided_assignments() -> QuerySet[Assignment]:
    """Approved (or further) assignments with `decided_on`: the local date of their approval
    step, or of their creation when they came in without one."""
    approved_at = (
        AssignmentStep.objects.filter(assignment=OuterRef("pk"), action="approve")
        .order_by("at")
        .values("at")[:1]
    )
    tz = ZoneInfo(settings.TIME_ZONE)
    return (
        Assignment.objects.filter(state__in=DECIDED_STATES)
        .annotate(decided_on=TruncDate(Coalesce(Subquery(approved_at), "created_at"), tzinfo=tz))
        .select_related("package", "household")
    )


# ---------------------------------------------------------------------------- 1. eligibility


def not_eligible_on_decision() -> list[Found]:
    """Support approved for a household that, on the approval date, held no official status
    of a classification and standard the package is for (packages that name none are not
    checked; the package's extra criteria are not re-checked)."""
    eligible_status = OfficialStatus.objects.filter(
        household=OuterRef("household"),
        valid_from__lte=OuterRef("decided_on"),
    ).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=OuterRef("decided_on")),
        Exists(
            PackageEligibility.objects.filter(
                package=OuterRef(OuterRef("package")),
                standard_code=OuterRef("standard__code"),
                classification=OuterRef("classification"),
            )
        ),
    )
    rows = (
        _decided_assignments()
        .filter(Exists(PackageEligibility.objects.filter(package=OuterRef("package"))))
        .filter(~Exists(eligible_status))
        .prefetch_related("package__eligibility")
    )
    found = []
    for a in rows:
        eligibility = a.package.eligibility.all()
        wanted = sorted({f"{e.classification} ({e.standard_code})" for e in eligibility})
        wanted_vi = sorted(
            {
                f"{support_rules.CLASS_VI.get(e.classification, e.classification)} theo "
                f"{e.standard_code}"
                for e in eligibility
            }
        )
        on = a.decided_on.isoformat()
        found.append(
            Found(
                rule=FindingRule.NOT_ELIGIBLE,
                key=f"{FindingRule.NOT_ELIGIBLE}:{a.pk}:{a.period}",
                commune_id=a.household.commune_id,
                period=a.period,
                household_id=a.household_id,
                assignment_id=a.pk,
                reason_en=(
                    f"Assignment of {a.package.code} to household {a.household.code} was approved "
                    f"on {on}, when the household held no official status the package is for "
                    f"(needs {', '.join(wanted)})."
                ),
                reason_vi=(
                    f"Hỗ trợ {a.package.code} cho hộ {a.household.code} được phê duyệt ngày "
                    f"{format_date(a.decided_on)}, "
                    f"khi hộ không có phân loại chính thức thuộc đối tượng của gói "
                    f"(cần {', '.join(wanted_vi)})."
                ),
                figures={"approved_on": on, "eligible": wanted, "amount": a.amount},
                evidence=[
                    _path("assignments", a.pk),
                    f"{API}/households/{a.household_id}/poverty-status/",
                ],
            )
        )
    return found


# ---------------------------------------------------------------------------- 2. entitlement


def _entitlement(
    a: Assignment, packages: dict[Any, SupportPackage]
) -> tuple[int, Decimal, support_rules.Text]:
    """What the household could receive on the approval date: the base in force × the
    multiplier the support rules give it (support.rules.multiplier_for, from its profile:
    ethnicity of the head, commune, members' ages, deprivations), and why that multiplier."""
    terms = package_terms(packages[a.package_id], a.decided_on)
    multiplier, why = support_rules.multiplier_for(
        household_profile(a.household, on=a.decided_on), terms
    )
    amount = int((Decimal(a.base_then) * multiplier).quantize(Decimal(1), ROUND_HALF_UP))
    return amount, multiplier.normalize(), why


def over_entitlement() -> list[Found]:
    """Support above the household's entitlement — the package's central base in force on
    the approval date × the multiplier the support rules give this household (1 VND of
    rounding tolerated) — or disbursements adding up to more than the amount. Candidates
    (above base × the package's default multiplier, the least any household gets, or
    overpaid) come from one query; only they have their own multiplier worked out."""
    base_then = (
        PackageRate.objects.filter(
            package=OuterRef("package"), valid_from__lte=OuterRef("decided_on")
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=OuterRef("decided_on")))
        .order_by("-valid_from")
        .values("base_amount")[:1]
    )
    paid = (
        Disbursement.objects.filter(assignment=OuterRef("pk"))
        .values("assignment")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=24, decimal_places=3)
    rows = list(
        _decided_assignments()
        .select_related("household__commune")
        .annotate(base_then=Subquery(base_then), paid=Subquery(paid))
        .annotate(least=ExpressionWrapper(F("base_then") * F("package__default_multiplier"), money))
        .filter(Q(amount__gt=F("least") + 1) | Q(paid__gt=F("amount")))
    )
    packages = {p.pk: p for p in support_packages().filter(pk__in={a.package_id for a in rows})}
    found = []
    for a in rows:
        amount_en, amount_vi = _vnd(a.amount)
        parts_en, parts_vi = [], []
        entitled = multiplier = None
        if a.base_then is not None:
            entitled, multiplier, why = _entitlement(a, packages)
        if entitled is not None and a.amount > entitled + 1:
            c_en, c_vi = _vnd(entitled)
            parts_en.append(
                f"its amount {amount_en} is above the household's entitlement {c_en} "
                f"(base {format_vnd(a.base_then, False)} × {multiplier}, {why.en})"
            )
            parts_vi.append(
                f"số tiền {amount_vi} vượt mức hộ được hưởng {c_vi} "
                f"(mức cơ sở {format_vnd(a.base_then, True)} × "
                f"{str(multiplier).replace('.', ',')}, {why.vi})"
            )
        if a.paid is not None and a.paid > a.amount:
            p_en, p_vi = _vnd(a.paid)
            parts_en.append(f"disbursements total {p_en}, more than its amount {amount_en}")
            parts_vi.append(f"đã chi {p_vi}, nhiều hơn số tiền được duyệt {amount_vi}")
        if not parts_en:
            continue
        found.append(
            Found(
                rule=FindingRule.OVER_ENTITLEMENT,
                key=f"{FindingRule.OVER_ENTITLEMENT}:{a.pk}:{a.period}",
                commune_id=a.household.commune_id,
                period=a.period,
                household_id=a.household_id,
                assignment_id=a.pk,
                reason_en=f"Assignment of {a.package.code} to household {a.household.code}: "
                + "; ".join(parts_en)
                + ".",
                reason_vi=f"Hỗ trợ {a.package.code} cho hộ {a.household.code}: "
                + "; ".join(parts_vi)
                + ".",
                figures={
                    "amount": a.amount,
                    "entitlement": entitled,
                    "base_amount": a.base_then,
                    "multiplier": str(multiplier) if multiplier is not None else None,
                    "disbursed": a.paid or 0,
                },
                evidence=[_path("assignments", a.pk), f"{API}/disbursements/?assignment={a.pk}"],
            )
        )
    return found


# ---------------------------------------------------------------------------- 3. duplicates


def duplicate_support() -> list[Found]:
    """The same package more often in a period than its limit per household allows
    (active assignments: proposed, approved, delivered, completed)."""
    groups = list(
        Assignment.objects.filter(state__in=ACTIVE_STATES)
        .values("household", "package", "period")
        .annotate(n=Count("id"))
        .filter(n__gt=F("package__limit_per_period"))
        .order_by()
    )
    if not groups:
        return []
    wanted = Q()
    for g in groups:
        wanted |= Q(household=g["household"], package=g["package"], period=g["period"])
    members: dict[tuple, list[Assignment]] = defaultdict(list)
    for a in (
        Assignment.objects.filter(wanted, state__in=ACTIVE_STATES)
        .select_related("household", "package")
        .order_by("created_at", "id")
    ):
        members[(a.household_id, a.package_id, a.period)].append(a)
    found = []
    for (household, package, period), rows in members.items():
        first = rows[0]
        code, pkg, limit = first.household.code, first.package.code, first.package.limit_per_period
        found.append(
            Found(
                rule=FindingRule.DUPLICATE_SUPPORT,
                key=f"{FindingRule.DUPLICATE_SUPPORT}:{household}:{package}:{period}",
                commune_id=first.household.commune_id,
                period=period,
                household_id=household,
                reason_en=(
                    f"Household {code} has {len(rows)} assignments of {pkg} in {period} "
                    f"(limit {limit})."
                ),
                reason_vi=(
                    f"Hộ {code} có {len(rows)} lần hỗ trợ {pkg} trong năm {period} "
                    f"(tối đa {limit})."
                ),
                figures={"package": pkg, "assignments": len(rows), "limit": limit},
                evidence=[_path("assignments", a.pk) for a in rows],
            )
        )
    return found


# ---------------------------------------------------------------------------- 4. after close


def disbursed_after_close() -> list[Found]:
    """Disbursements dated after the household closed (moved out, dissolved, merged)."""
    rows = Disbursement.objects.filter(
        assignment__household__status__in=CLOSED_STATES,
        assignment__household__status_date__isnull=False,
        date__gt=F("assignment__household__status_date"),
    ).select_related("assignment__household", "assignment__package")
    found = []
    for d in rows:
        h = d.assignment.household
        amount_en, amount_vi = _vnd(d.amount)
        found.append(
            Found(
                rule=FindingRule.AFTER_CLOSE,
                key=f"{FindingRule.AFTER_CLOSE}:{d.pk}:{d.assignment.period}",
                commune_id=h.commune_id,
                period=d.assignment.period,
                household_id=h.pk,
                assignment_id=d.assignment_id,
                disbursement_id=d.pk,
                reason_en=(
                    f"{amount_en} of {d.assignment.package.code} was disbursed to household "
                    f"{h.code} on {d.date}, after it was {h.status.replace('_', ' ')} "
                    f"on {h.status_date}."
                ),
                reason_vi=(
                    f"Đã chi {amount_vi} ({d.assignment.package.code}) cho hộ {h.code} ngày "
                    f"{format_date(d.date)}, sau khi hộ {CLOSED_VI.get(h.status, h.status)} "
                    f"ngày {format_date(h.status_date)}."
                ),
                figures={
                    "amount": d.amount,
                    "date": d.date.isoformat(),
                    "household_status": h.status,
                    "status_date": h.status_date.isoformat(),
                },
                evidence=[
                    _path("disbursements", d.pk),
                    _path("assignments", d.assignment_id),
                    _path("households", h.pk),
                ],
            )
        )
    return found


# ---------------------------------------------------------------------------- 5. four eyes


def self_approved() -> list[Found]:
    """Assignments whose approval step was taken by the user who proposed them (from the
    assignment's recorded steps)."""
    proposer = AssignmentStep.objects.filter(
        assignment=OuterRef("assignment"), action="propose"
    ).values("actor")[:1]
    steps = (
        AssignmentStep.objects.filter(action="approve", actor__isnull=False)
        .annotate(proposer=Subquery(proposer))
        .filter(actor=F("proposer"))
        .select_related("assignment__household", "assignment__package", "actor")
    )
    found = []
    for step in steps:
        a = step.assignment
        on = timezone.localdate(step.at).isoformat()
        who = step.actor.username
        found.append(
            Found(
                rule=FindingRule.SELF_APPROVED,
                key=f"{FindingRule.SELF_APPROVED}:{a.pk}:{a.period}",
                commune_id=a.household.commune_id,
                period=a.period,
                household_id=a.household_id,
                assignment_id=a.pk,
                cadre_id=step.actor_id,
                reason_en=(
                    f"Assignment of {a.package.code} to household {a.household.code} "
                    f"({format_vnd(a.amount, False)}) was proposed and approved by the same user, "
                    f"{who} (approved on {on})."
                ),
                reason_vi=(
                    f"Hỗ trợ {a.package.code} cho hộ {a.household.code} "
                    f"({format_vnd(a.amount, True)}) do cùng một người, {who}, đề xuất và phê "
                    f"duyệt (phê duyệt ngày {format_date(timezone.localdate(step.at))})."
                ),
                figures={"user": who, "approved_on": on, "amount": a.amount},
                evidence=[_path("assignments", a.pk)],
            )
        )
    return found


# ---------------------------------------------------------------------------- 6. follow-ups


def overdue_follow_ups(today: date | None = None) -> list[Found]:
    """Cadres with follow-ups not done more than FOLLOW_UP_OVERDUE_DAYS after they were
    scheduled (the follow-up's cadre, else its case's), one finding per cadre and commune
    and year."""
    today = today or timezone.localdate()
    days = settings.FOLLOW_UP_OVERDUE_DAYS
    late = FollowUp.objects.filter(
        done_on__isnull=True, scheduled_on__lt=today - timedelta(days=days)
    ).annotate(who=Coalesce("cadre", "case__cadre"), commune=F("case__household__commune"))
    late = late.filter(who__isnull=False)
    groups = list(
        late.values("who", "commune").annotate(n=Count("id"), oldest=Min("scheduled_on")).order_by()
    )
    if not groups:
        return []
    from django.contrib.auth import get_user_model

    names = dict(
        get_user_model()
        .objects.filter(pk__in={g["who"] for g in groups})
        .values_list("pk", "username")
    )
    evidence: dict[tuple, list[str]] = defaultdict(list)
    for pk, who, commune in late.order_by("scheduled_on", "id").values_list("pk", "who", "commune"):
        if len(evidence[(who, commune)]) < 20:
            evidence[(who, commune)].append(_path("follow-ups", pk))
    found = []
    for g in groups:
        who, commune, n, oldest = g["who"], g["commune"], g["n"], g["oldest"]
        late_days = (today - oldest).days
        found.append(
            Found(
                rule=FindingRule.OVERDUE_FOLLOW_UPS,
                key=f"{FindingRule.OVERDUE_FOLLOW_UPS}:{who}:{commune}:{today.year}",
                commune_id=commune,
                period=today.year,
                cadre_id=who,
                reason_en=(
                    f"Cadre {names[who]} has {n} follow-up(s) in commune {commune} overdue by more "
                    f"than {days} days (the oldest scheduled on {oldest}, {late_days} days ago)."
                ),
                reason_vi=(
                    f"Cán bộ {names[who]} có {n} lần theo dõi tại xã/phường {commune} quá hạn hơn "
                    f"{days} ngày (lần sớm nhất hẹn ngày {format_date(oldest)}, cách đây "
                    f"{late_days} ngày)."
                ),
                figures={
                    "overdue": n,
                    "oldest": oldest.isoformat(),
                    "days_late": late_days,
                    "threshold_days": days,
                },
                evidence=evidence[(who, commune)],
            )
        )
    return found


# ---------------------------------------------------------------------------- 7. spending


def spending_ahead_of_poverty() -> list[Found]:
    """Communes whose share of their province's disbursements in a period is more than
    SUPERVISION_SPENDING_FACTOR × their share of the province's poor households (current
    official status poor under any standard), having disbursed at least
    SUPERVISION_SPENDING_MIN_VND in the period."""
    factor = settings.SUPERVISION_SPENDING_FACTOR
    minimum = settings.SUPERVISION_SPENDING_MIN_VND
    spent = list(
        Disbursement.objects.values(
            commune=F("assignment__household__commune"),
            province=F("assignment__household__commune__province"),
            period=F("assignment__period"),
        )
        .annotate(total=Sum("amount"))
        .order_by()
    )
    if not spent:
        return []
    poor_rows = (
        OfficialStatus.objects.filter(valid_to__isnull=True, classification="poor")
        .values(commune=F("household__commune"), province=F("household__commune__province"))
        .annotate(n=Count("household", distinct=True))
        .order_by()
    )
    poor = {r["commune"]: r["n"] for r in poor_rows}
    poor_in_province: dict[str, int] = defaultdict(int)
    for r in poor_rows:
        poor_in_province[r["province"]] += r["n"]
    spent_in: dict[tuple, int] = defaultdict(int)
    for r in spent:
        spent_in[(r["province"], r["period"])] += r["total"]
    found = []
    for r in spent:
        commune, province, period, total = r["commune"], r["province"], r["period"], r["total"]
        if total < minimum:
            continue
        spend_share = total / spent_in[(province, period)]
        poor_share = (
            poor.get(commune, 0) / poor_in_province[province] if poor_in_province[province] else 0
        )
        if spend_share <= factor * poor_share:
            continue
        s_pct, p_pct = round(spend_share * 100, 1), round(poor_share * 100, 1)
        t_en, t_vi = _vnd(total)
        found.append(
            Found(
                rule=FindingRule.SPENDING_AHEAD,
                key=f"{FindingRule.SPENDING_AHEAD}:{commune}:{period}",
                commune_id=commune,
                period=period,
                reason_en=(
                    f"Commune {commune} received {s_pct}% of province {province}'s disbursements "
                    f"in {period} ({t_en}) but has {p_pct}% of its poor households "
                    f"({poor.get(commune, 0)}); more than {factor:g} × its share."
                ),
                reason_vi=(
                    f"Xã/phường {commune} nhận {str(s_pct).replace('.', ',')}% số tiền đã chi của "
                    f"tỉnh {province} năm {period} ({t_vi}) nhưng chỉ có "
                    f"{str(p_pct).replace('.', ',')}% số hộ nghèo ({poor.get(commune, 0)}); "
                    f"vượt {str(factor).replace('.', ',').removesuffix(',0')} lần tỷ lệ hộ nghèo."
                ),
                figures={
                    "disbursed": total,
                    "province_disbursed": spent_in[(province, period)],
                    "spending_share_percent": s_pct,
                    "poor_households": poor.get(commune, 0),
                    "province_poor_households": poor_in_province[province],
                    "poor_share_percent": p_pct,
                    "factor": factor,
                    "minimum_vnd": minimum,
                },
                evidence=[
                    f"{API}/assignments/?commune={commune}&period={period}",
                    f"{API}/reports/budget-execution/?group_by=commune&year={period}",
                ],
            )
        )
    return found


RULES = {
    FindingRule.NOT_ELIGIBLE: not_eligible_on_decision,
    FindingRule.OVER_ENTITLEMENT: over_entitlement,
    FindingRule.DUPLICATE_SUPPORT: duplicate_support,
    FindingRule.AFTER_CLOSE: disbursed_after_close,
    FindingRule.SELF_APPROVED: self_approved,
    FindingRule.OVERDUE_FOLLOW_UPS: overdue_follow_ups,
    FindingRule.SPENDING_AHEAD: spending_ahead_of_poverty,
}
