"""Who may do what, where: roles, their permissions, and the area a user acts in.

One place for every role. Later capabilities add permissions and roles here; the mechanism
(role → permissions, grant → area filter) stays the same.

The services call `require(actor, perm, ...)` before they write, whichever door the write came
in by (API, admin, field upload, registry sync, command): the check lives with the write, not
with the door. Commands and data loaders act as `SYSTEM`, which may do everything everywhere;
an actor is always named, so a forgotten check cannot default to "allowed".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.db import models
from django.db.models import Q


class Role(models.TextChoices):
    PROVINCE_OFFICER = "province_officer", "Province officer"
    COMMUNE_LEADER = "commune_leader", "Commune chairperson (approves lists)"
    COMMUNE_OFFICER = "commune_officer", "Commune officer"
    FIELD_ENUMERATOR = "field_enumerator", "Field enumerator"
    REGISTRY_SYSTEM = "registry_system", "Home Affairs registry (system)"
    AUDITOR = "auditor", "Read-only auditor"
    ANALYST = "analyst", "Reporting analyst (no personal data)"


class Perm(StrEnum):
    VIEW = "view"  # read records in the area
    VIEW_PERSONAL = "view_personal"  # names, citizen IDs, addresses, phones, birth dates
    REGISTRY_EDIT = "registry_edit"  # register and edit households and members
    REGISTRY_LIFECYCLE = "registry_lifecycle"  # close, merge households; move members
    DUPLICATES_REVIEW = "duplicates_review"  # dismiss possible duplicates
    VILLAGES_MANAGE = "villages_manage"  # create and edit villages
    SURVEY_SUBMIT = "survey_submit"  # post household surveys
    ASSESSMENT_REVIEW = "assessment_review"  # record meetings, postings, complaints
    ASSESSMENT_APPROVE = "assessment_approve"  # approve / reject (commune decision)
    STANDARDS_MANAGE = "standards_manage"  # draft and publish poverty standards
    ROUNDS_MANAGE = "rounds_manage"  # open review rounds
    WHAT_IF = "what_if"  # run what-if re-assessments
    SUPPORT_MANAGE = "support_manage"  # programs, allocations, packages, targets
    ASSIGNMENT_PROPOSE = "assignment_propose"  # propose support, record deliveries
    ASSIGNMENT_APPROVE = "assignment_approve"  # approve (commit budget), reject, cancel
    LIVELIHOOD_MANAGE = "livelihood_manage"  # livelihood models and their participants
    UPLOAD_RESOLVE = "upload_resolve"  # apply or discard a field upload kept as a conflict
    AUDIT_READS = "audit_reads"  # see who read personal data in bulk (the auditor's)
    TOKENS_MANAGE = "tokens_manage"  # issue and revoke API tokens of users inside the area


# What only the province does, and what only the commune chairperson decides.
# API tokens are issued by the province.
_PROVINCE_ONLY = {
    Perm.STANDARDS_MANAGE,
    Perm.ROUNDS_MANAGE,
    Perm.SUPPORT_MANAGE,
    Perm.TOKENS_MANAGE,
}
_COMMUNE_DECISIONS = {Perm.ASSESSMENT_APPROVE, Perm.ASSIGNMENT_APPROVE}
_AUDIT = {Perm.AUDIT_READS}
_COMMUNE_WORK = frozenset(Perm) - _PROVINCE_ONLY - _COMMUNE_DECISIONS - _AUDIT

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    # The province manages standards and rounds; communes decide their own lists.
    Role.PROVINCE_OFFICER: frozenset(Perm) - _COMMUNE_DECISIONS - _AUDIT,
    Role.COMMUNE_LEADER: _COMMUNE_WORK | _COMMUNE_DECISIONS,
    Role.COMMUNE_OFFICER: _COMMUNE_WORK,
    Role.FIELD_ENUMERATOR: frozenset(
        {Perm.VIEW, Perm.VIEW_PERSONAL, Perm.REGISTRY_EDIT, Perm.SURVEY_SUBMIT}
    ),
    Role.REGISTRY_SYSTEM: frozenset(
        {Perm.VIEW, Perm.VIEW_PERSONAL, Perm.REGISTRY_EDIT, Perm.REGISTRY_LIFECYCLE}
    ),
    Role.AUDITOR: frozenset({Perm.VIEW, Perm.VIEW_PERSONAL, Perm.AUDIT_READS}),
    Role.ANALYST: frozenset({Perm.VIEW, Perm.WHAT_IF}),
}


@dataclass(frozen=True)
class Access:
    """The resolved rights of one user: permissions and the area they apply in."""

    role: str | None = None
    perms: frozenset[Perm] = frozenset()
    everywhere: bool = False
    province_codes: frozenset[str] = frozenset()
    commune_codes: frozenset[str] = frozenset()  # includes the communes of province grants
    village_ids: frozenset = field(default_factory=frozenset)

    def can(self, perm: Perm) -> bool:
        return perm in self.perms

    def area_q(self, commune_path: str = "commune", village_path: str | None = "village") -> Q:
        """A filter restricting rows to the area; paths lead from the row to its units."""
        if self.everywhere:
            return Q()
        # Province grants were resolved to their communes: `commune_id IN (...)` lets the
        # database use the row's own commune index instead of joining to the units table.
        q = Q(pk__in=[])
        if self.commune_codes:
            q |= Q(**{f"{commune_path}__in": sorted(self.commune_codes)})
        if self.village_ids and village_path:
            q |= Q(**{f"{village_path}__in": sorted(self.village_ids)})
        return q

    def covers(self, commune_code: str, province_code: str, village_id=None) -> bool:
        """True when a record in this commune (and village) is inside the area."""
        return (
            self.everywhere
            or province_code in self.province_codes
            or commune_code in self.commune_codes
            or (village_id is not None and village_id in self.village_ids)
        )


NO_ACCESS = Access()
FULL_ACCESS = Access(perms=frozenset(Perm), everywhere=True)


class _System:
    """The actor of commands, data loaders and migrations: every right, everywhere. Not a
    user: history records it with no user and the `system` channel."""

    pk = None
    username = ""
    is_authenticated = False
    is_active = True

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = _System()


def user_of(actor):
    """The user to record as having acted (None for SYSTEM)."""
    return None if actor is SYSTEM else actor


def access_for(user) -> Access:
    """The user's access, computed once per request and cached on the user object."""
    if user is SYSTEM:
        return FULL_ACCESS
    if user is None or not user.is_authenticated or not user.is_active:
        return NO_ACCESS
    cached = getattr(user, "_area_access", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        access = FULL_ACCESS
    else:
        from households.models import UserAccess

        grant = (
            UserAccess.objects.filter(user=user)
            .prefetch_related("provinces__communes", "communes", "villages")
            .first()
        )
        if grant is None:
            access = NO_ACCESS
        else:
            access = Access(
                role=grant.role,
                perms=ROLE_PERMISSIONS.get(grant.role, frozenset()),
                province_codes=frozenset(p.code for p in grant.provinces.all()),
                commune_codes=frozenset(c.code for c in grant.communes.all())
                | {c.code for p in grant.provinces.all() for c in p.communes.all()},
                village_ids=frozenset(v.id for v in grant.villages.all()),
            )
    user._area_access = access
    return access


# ---------------------------------------------------------------------------- checks


def _refuse(detail: str, **fields: str):
    from config.errors import NotAllowed

    return NotAllowed(detail, fields=fields or None, code="outside_area")


def require(actor, perm: Perm) -> Access:
    """The actor's access, if their role has `perm`; refused (403) otherwise."""
    access = access_for(actor)
    if not access.can(perm):
        from config.errors import NotAllowed

        raise NotAllowed(f"Your role does not allow this ({perm}).")
    return access


def require_area(access: Access, commune, village=None) -> None:
    """A write aimed at a commune (and village) outside the area is refused (403). The
    message names only what the caller sent."""
    if not access.covers(commune.code, commune.province_id, village.pk if village else None):
        raise _refuse(f"Commune {commune.code} is outside your area.", commune="Outside your area.")


def require_household(access: Access, household) -> None:
    """A write to a household outside the area is refused (403)."""
    if not covers_household(access, household):
        raise _refuse("The household is outside your area.")


def require_province(access: Access, province_code: str | None) -> None:
    """Province-level data (standards, rounds, budgets) is managed by that province's officers;
    national data (no province) only by national administrators."""
    if access.everywhere or (province_code is not None and province_code in access.province_codes):
        return
    if province_code is None:
        raise _refuse("Only national administrators manage national data.")
    raise _refuse(f"Province {province_code} is outside your area.")


def covers_household(access: Access, household) -> bool:
    """True when the household is inside the area (its commune: select_related it)."""
    return access.everywhere or access.covers(
        household.commune_id, household.commune.province_id, household.village_id
    )
