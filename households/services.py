"""Registry use cases. Every write to households, members, villages and duplicates goes
through here, whichever door it came in by (API, admin, field upload, command).

Each function is transactional: it either applies the whole change or raises a DomainError
and changes nothing. Each takes the acting user (`actor`; `core.access.SYSTEM` for commands)
and checks their role and area before it writes; updates take the version they were based on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from core import dates
from core.access import (
    Access,
    Perm,
    covers_household,
    require,
    require_area,
    require_household,
)
from core.dates import MIN_DATE
from core.errors import Conflict, InvalidInput, NotAllowed, check_version
from core.locking import lock_for_change
from core.text import fold
from geo.models import Commune, Village

from .choices import DuplicateStatus, HouseholdStatus, MemberStatus, Relationship
from .identity import citizen_id_errors
from .limits import check_member_count
from .models import DuplicateCandidate, Household, Member
from .search import household_queryset_search as household_queryset_search
from .search import member_queryset_search as member_queryset_search
from .selectors import duplicates_in_area
from .taken import citizen_id_taken as citizen_id_taken
from .taken import registry_id_taken, save_checked
from .twins import detect_all_duplicates as detect_all_duplicates
from .twins import detect_duplicates, next_household_code, search_text


@dataclass
class MemberInput:
    """A member to add (id None) or the fields to change on an existing member. A member to
    add may bring the id it is to have (`new_id`, a client-generated UUID: field apps)."""

    values: dict[str, Any]
    id: Any = None
    version: int | None = None
    new_id: Any = None


@dataclass
class HouseholdInput:
    """`id`: on registration, the id the household is to have (a client-generated UUID: field
    apps); None, the server's."""

    values: dict[str, Any]
    members: list[MemberInput] | None = field(default=None)
    id: Any = None


# ---------------------------------------------------------------------------- helpers


def _validate_village(commune: Commune, village: Village | None) -> None:
    if village is not None and village.commune_id != commune.code:
        # Nothing of the village itself (it may be outside the caller's area): only that it
        # is not in the commune the caller named.
        message = gettext("Village is not in commune %(code)s.") % {"code": commune.code}
        raise InvalidInput(message, fields={"village": message})


def _validate_member_dates(values: dict[str, Any], prefix: str) -> None:
    """A member's birth and status (moved out, deceased) dates: neither in the future nor
    before 1900 (core.dates.MIN_DATE), whichever door they come in by (API, admin, field
    upload; the API's date fields and the registry sync refuse the same first)."""
    today = dates.today()
    dob: date | None = values.get("date_of_birth")
    if dob and dob > today:
        raise InvalidInput(
            gettext("A date of birth cannot be in the future."),
            fields={f"{prefix}date_of_birth": gettext("Date of birth is in the future.")},
        )
    if dob and dob < MIN_DATE:
        message = gettext("Date of birth is before 1900.")
        raise InvalidInput(message, fields={f"{prefix}date_of_birth": message})
    on: date | None = values.get("status_date")
    if on and not MIN_DATE <= on <= today:
        message = (
            gettext("Status date is in the future.")
            if on > today
            else gettext("Status date is before 1900.")
        )
        raise InvalidInput(message, fields={f"{prefix}status_date": message})


def _validate_member(values: dict[str, Any], prefix: str, access: Access, exclude_id=None) -> None:
    _validate_member_dates(values, prefix)
    citizen_id = values.get("citizen_id")
    dob: date | None = values.get("date_of_birth")
    if citizen_id:
        errors = citizen_id_errors(
            citizen_id, sex=values.get("sex"), date_of_birth=dob, translate=gettext
        )
        if errors:
            raise InvalidInput(
                gettext("Invalid citizen ID %(citizen_id)s: %(join)s")
                % {"citizen_id": citizen_id, "join": " ".join(errors)},
                fields={f"{prefix}citizen_id": errors},
                code="invalid_citizen_id",
            )
        holder = (
            Member.objects.filter(citizen_id=citizen_id)
            .exclude(pk=exclude_id)
            .select_related("household__commune")
            .first()
        )
        if holder is not None:
            raise citizen_id_taken(
                citizen_id,
                holder.household.code if covers_household(access, holder.household) else None,
                f"{prefix}citizen_id",
            )


def _assert_registry_id_free(household: Household) -> None:
    if (
        household.external_id
        and Household.objects.filter(external_id=household.external_id)
        .exclude(pk=household.pk)
        .exists()
    ):
        raise registry_id_taken()


def _assert_active(household: Household) -> None:
    """Refuse any change to a closed household (moved out, dissolved, merged) or its members,
    whichever door it comes in by: API, admin, field upload. A closed household is a record
    of the past. Closing and merging are the transitions that end it (household_close,
    household_merge, with their own answers), and a member still present there moves out to
    where they live now (member_move: not into a closed household, but out of one)."""
    if household.status != HouseholdStatus.ACTIVE:
        raise Conflict(
            gettext("Household %(code)s is %(status)s.")
            % {"code": household.code, "status": household.status},
            code="not_active",
        )


def _assert_one_head(household: Household, changes: dict[Any, tuple[str, str] | None]) -> None:
    """Refuse a change that would leave an active household with other than one present head.

    `changes` maps member keys to their (relationship, status) after the change, or None for
    a member leaving; other members keep their stored state. Checked before writing so the
    answer is a clear 400, not a constraint violation.
    """
    if household.status != HouseholdStatus.ACTIVE:
        return
    state: dict[Any, tuple[str, str] | None] = (
        {
            pk: (rel, st)
            for pk, rel, st in household.members.values_list("pk", "relationship", "status")
        }
        if household.pk
        else {}
    )
    state.update(changes)
    present = [v for v in state.values() if v is not None and v[1] == MemberStatus.PRESENT]
    heads = sum(1 for rel, _ in present if rel == Relationship.HEAD)
    if present and heads != 1:
        raise InvalidInput(
            (
                gettext(
                    "An active household has exactly one head among its present members; "
                    "this change would leave %(heads)s."
                )
                % {"heads": heads}
            ),
            fields={
                "members": gettext("Exactly one present member must be the head (found %(heads)s).")
                % {"heads": heads}
            },
            code="one_head_required",
        )


def refresh_search_text(household: Household) -> None:
    """Recompute the folded address that `?q=` searches (households.search)."""
    text = search_text(household)
    Household.objects.filter(pk=household.pk).update(search_text=text)
    household.search_text = text


def _touch(household: Household, reason: str) -> None:
    """A change to a member is a change to its household: a new version and a fresh search
    text, recorded (a history row with `reason`, and so a change-feed event) so that a field
    app or consumer holding the household learns that its version moved. `household` is the
    locked, current row."""
    household.version += 1
    household.search_text = search_text(household)
    household._change_reason = reason
    household.save(update_fields=["version", "search_text", "updated_at"])


def _save_member(member: Member, values: dict[str, Any], prefix: str, access: Access) -> Member:
    merged = {f: values.get(f, getattr(member, f, None)) for f in Member.EDITABLE}
    if "ethnicity" not in values and member.pk and member.ethnicity_id:
        merged["ethnicity"] = member.ethnicity
    _validate_member(merged, prefix, access, exclude_id=member.pk)
    for name, value in values.items():
        setattr(member, name, value)
    if member.citizen_id == "":
        member.citizen_id = None
    member.name_folded = fold(member.full_name)
    save_checked(member, lambda: _validate_member(merged, prefix, access, exclude_id=member.pk))
    return member


def _assert_citizen_ids_distinct(planned: Sequence[tuple[Member, dict[str, Any], str]]) -> None:
    """Refuse one citizen ID given to two members of the same request (400 on the second):
    the request's own mistake, which the check against the register would otherwise answer
    as "already registered" in the household the request is writing."""
    seen: dict[str, str] = {}
    for member, values, prefix in planned:
        citizen_id = values.get("citizen_id", member.citizen_id)
        if not citizen_id:
            continue
        if citizen_id in seen:
            raise InvalidInput(
                gettext("Two members of this request have the same citizen ID."),
                fields={
                    f"{prefix}citizen_id": gettext("The same as %(first)s.")
                    % {"first": f"{seen[citizen_id]}citizen_id"}
                },
                code="duplicate_citizen_id",
            )
        seen[citizen_id] = prefix


def _apply_members(
    household: Household, members: Sequence[MemberInput], access: Access
) -> list[Member]:
    existing = {m.pk: m for m in household.members.all()} if household.pk else {}
    planned: list[tuple[Member, dict[str, Any], str]] = []
    for index, item in enumerate(members):
        prefix = f"members.{index}."
        if item.id is None:
            member = Member(household=household)
            if item.new_id is not None:
                if Member.objects.filter(pk=item.new_id).exists():
                    raise Conflict(
                        gettext("Member id %(new_id)s is already used.") % {"new_id": item.new_id},
                        fields={f"{prefix}id": gettext("Already used.")},
                        code="id_taken",
                    )
                member.id = item.new_id
        else:
            member = existing.get(item.id)
            if member is None:
                raise InvalidInput(
                    gettext("Member %(id)s does not belong to household %(code)s.")
                    % {"id": item.id, "code": household.code},
                    fields={f"{prefix}id": gettext("Not a member of this household.")},
                    code="not_a_member",
                )
            if item.version is not None:
                check_version(member.version, item.version)
            member.version += 1
        planned.append((member, item.values, prefix))
    _assert_citizen_ids_distinct(planned)
    final = {
        m.pk: (v.get("relationship", m.relationship), v.get("status", m.status))
        for m, v, _ in planned
    }
    _assert_one_head(household, final)
    # Whoever stops being head is written first, so the one-head constraint holds throughout.
    planned.sort(key=lambda p: p[1].get("relationship", p[0].relationship) == Relationship.HEAD)
    return [_save_member(member, values, prefix, access) for member, values, prefix in planned]


# ---------------------------------------------------------------------------- households


@transaction.atomic
def household_register(*, actor, data: HouseholdInput, source: str) -> Household:
    access = require(actor, Perm.REGISTRY_EDIT)
    check_member_count(len(data.members or []))
    values = data.values
    commune: Commune = values["commune"]
    _validate_village(commune, values.get("village"))
    require_area(access, commune, values.get("village"))
    if not data.members:
        raise InvalidInput(
            gettext("A household is registered with its members (at least the head)."),
            fields={"members": gettext("At least one member, the head, is required.")},
        )
    if data.id is not None and Household.objects.filter(pk=data.id).exists():
        raise Conflict(
            gettext("Household id %(id)s is already used.") % {"id": data.id},
            fields={"id": gettext("Already used.")},
            code="id_taken",
        )
    household = Household(
        source=source,
        code=next_household_code(commune),
        **{k: v for k, v in values.items() if k in Household.EDITABLE},
    )
    if data.id is not None:
        household.id = data.id
    _assert_registry_id_free(household)
    save_checked(household, lambda: _assert_registry_id_free(household))
    members = _apply_members(
        household, [MemberInput(values=m.values, new_id=m.new_id) for m in data.members], access
    )
    refresh_search_text(household)
    detect_duplicates(members)
    return household


@transaction.atomic
def household_update(
    *, actor, household: Household, expected_version: int | None, data: HouseholdInput
) -> Household:
    """Change a household and its members. A move to another commune or village must land
    inside the actor's area too."""
    access = require(actor, Perm.REGISTRY_EDIT)
    check_member_count(len(data.members or []))
    household = _locked_household(household, access)
    check_version(household.version, expected_version)
    _assert_active(household)
    values = {k: v for k, v in data.values.items() if k in Household.EDITABLE}
    commune = values.get("commune", household.commune)
    village = values.get("village", household.village if "commune" not in values else None)
    if "village" in values or "commune" in values:
        _validate_village(commune, village)
        require_area(access, commune, village)
    if commune.code != household.commune_id and "village" not in values:
        values["village"] = None  # the old village is in the old commune
    for name, value in values.items():
        setattr(household, name, value)
    if "external_id" in values:
        _assert_registry_id_free(household)
    household.version += 1
    save_checked(household, lambda: _assert_registry_id_free(household))
    members: list[Member] = []
    if data.members:
        members = _apply_members(household, data.members, access)
    refresh_search_text(household)
    detect_duplicates(members or household.members.all())
    return household


@transaction.atomic
def household_close(
    *,
    actor,
    household: Household,
    expected_version: int | None,
    status: str,
    reason: str,
    on: date,
) -> Household:
    """End an active household: moved out of the area, or dissolved."""
    household = _locked_household(household, require(actor, Perm.REGISTRY_LIFECYCLE))
    check_version(household.version, expected_version)
    if status not in (HouseholdStatus.MOVED_OUT, HouseholdStatus.DISSOLVED):
        raise InvalidInput(
            gettext("A household is closed as moved_out or dissolved; use merge to merge."),
            fields={"status": gettext("Must be moved_out or dissolved.")},
        )
    if household.status != HouseholdStatus.ACTIVE:
        raise Conflict(
            gettext("Household %(code)s is already %(status)s.")
            % {"code": household.code, "status": household.status},
            code="not_active",
        )
    household.status, household.status_reason, household.status_date = status, reason, on
    household.version += 1
    household.save()
    return household


@transaction.atomic
def household_merge(
    *,
    actor,
    source: Household,
    target: Household,
    expected_version: int | None,
    reason: str,
    on: date,
) -> Household:
    """Merge `source` into `target`: its members move to the target (each keeping its own
    history), the source is kept with status merged and a link to the target, and open
    duplicate candidates between the two are resolved."""
    if source.pk == target.pk:
        raise InvalidInput(
            gettext("A household cannot be merged into itself."),
            fields={"into": gettext("Choose another household.")},
        )
    access = require(actor, Perm.REGISTRY_LIFECYCLE)
    locked = {
        h.pk: h
        for h in Household.objects.select_for_update(of=("self",))
        .select_related("commune")
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
    }
    source, target = locked[source.pk], locked[target.pk]
    require_household(access, source)
    require_household(access, target)
    check_version(source.version, expected_version)
    for h in (source, target):
        if h.status != HouseholdStatus.ACTIVE:
            raise Conflict(
                gettext("Household %(code)s is %(status)s; only active households merge.")
                % {"code": h.code, "status": h.status},
                code="not_active",
            )
    moved = list(source.members.filter(status=MemberStatus.PRESENT))
    for member in moved:
        member.household = target
        if member.relationship == Relationship.HEAD:
            member.relationship = Relationship.OTHER_RELATIVE
        member.version += 1
        member._change_reason = f"Merged from household {source.code}: {reason}"
        member.save()
    source.status, source.status_reason, source.status_date = HouseholdStatus.MERGED, reason, on
    source.merged_into = target
    source.version += 1
    source._change_reason = f"Merged into {target.code}"
    source.save()
    target.version += 1
    target._change_reason = f"Received members of {source.code}"
    target.save()
    refresh_search_text(source)
    refresh_search_text(target)
    target_members = list(target.members.values_list("pk", flat=True))
    DuplicateCandidate.objects.filter(
        status=DuplicateStatus.OPEN, member_a__in=target_members, member_b__in=target_members
    ).update(
        status=DuplicateStatus.MERGED,
        resolved_at=timezone.now(),
        resolution_note=f"Households {source.code} and {target.code} merged",
    )
    return target


# ---------------------------------------------------------------------------- members


@transaction.atomic
def member_add(*, actor, household: Household, values: dict[str, Any]) -> Member:
    access = require(actor, Perm.REGISTRY_EDIT)
    household = _locked_household(household, access)
    _assert_active(household)
    member = Member(household=household)
    _assert_one_head(
        household,
        {member.pk: (values.get("relationship"), values.get("status", MemberStatus.PRESENT))},
    )
    member = _save_member(member, values, "", access)
    _touch(household, "Member added")
    detect_duplicates([member])
    return member


def _locked_member(member: Member, access: Access) -> Member:
    return lock_for_change(
        Member.objects.select_related("household__commune"),
        member.pk,
        actor=None,
        access=access,
        of=("self", "household"),  # its household's one head and state are checked
    )


def _locked_household(household: Household, access: Access) -> Household:
    return lock_for_change(
        Household.objects.select_related("commune"),
        household.pk,
        actor=None,
        access=access,
        area_of=lambda h: h,
    )


@transaction.atomic
def member_update(
    *, actor, member: Member, expected_version: int | None, values: dict[str, Any]
) -> Member:
    access = require(actor, Perm.REGISTRY_EDIT)
    member = _locked_member(member, access)  # its household's row is locked with it
    check_version(member.version, expected_version)
    _assert_active(member.household)
    if "household" in values and values["household"] != member.household:
        raise InvalidInput(
            gettext("Use the move action to move a member to another household."),
            fields={"household": gettext("Use POST /members/{id}/move/.")},
        )
    values.pop("household", None)
    _assert_one_head(
        member.household,
        {
            member.pk: (
                values.get("relationship", member.relationship),
                values.get("status", member.status),
            )
        },
    )
    member.version += 1
    _save_member(member, values, "", access)
    _touch(member.household, "Member changed")
    detect_duplicates([member])
    return member


@transaction.atomic
def member_move(
    *,
    actor,
    member: Member,
    expected_version: int | None,
    to: Household,
    relationship: str,
    reason: str = "",
) -> Member:
    """Move a member to another household; the member keeps its identity and history.

    Never into a closed household; out of one, yes: the people of a household that moved out
    or dissolved live somewhere else now, and this is how the register follows them (not a
    second registration of the same people). A merged household has no present member left
    to move."""
    access = require(actor, Perm.REGISTRY_LIFECYCLE)
    member = _locked_member(member, access)
    check_version(member.version, expected_version)
    to = _locked_household(to, access)  # not closed while the member moves in
    origin = member.household
    if to.pk == origin.pk:
        raise InvalidInput(
            gettext("The member is already in that household."),
            fields={"household": gettext("Choose another household.")},
        )
    _assert_active(to)
    if member.status != MemberStatus.PRESENT:
        raise Conflict(
            gettext("Only present members move; this member is %(status)s.")
            % {"status": member.status},
            code="not_present",
        )
    _assert_one_head(origin, {member.pk: None})
    _assert_one_head(to, {member.pk: (relationship, MemberStatus.PRESENT)})
    member.household = to
    member.relationship = relationship
    member.version += 1
    member._change_reason = f"Moved from household {origin.code}" + (
        f": {reason}" if reason else ""
    )
    member.save()
    _touch(origin, f"Member moved to household {to.code}")
    _touch(to, f"Member moved from household {origin.code}")
    detect_duplicates([member])
    return member


# ---------------------------------------------------------------------------- duplicates


@transaction.atomic
def duplicate_dismiss(*, actor, candidate: DuplicateCandidate, note: str) -> DuplicateCandidate:
    access = require(actor, Perm.DUPLICATES_REVIEW)
    locked = DuplicateCandidate.objects.select_for_update(of=("self",)).filter(pk=candidate.pk)
    candidate = duplicates_in_area(locked, access).first()
    if candidate is None:  # outside the area, or one of the two has moved out of it since
        raise NotAllowed(
            gettext("This possible duplicate is outside your area."), code="outside_area"
        )
    if candidate.status != DuplicateStatus.OPEN:
        raise Conflict(
            gettext("This candidate is already %(status)s.") % {"status": candidate.status},
            code="not_open",
        )
    candidate.status = DuplicateStatus.DISMISSED
    candidate.resolved_by = actor if getattr(actor, "pk", None) else None
    candidate.resolved_at = timezone.now()
    candidate.resolution_note = note
    candidate.save()
    return candidate
