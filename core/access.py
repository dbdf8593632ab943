"""Who may do what, where: the permissions, the area a user acts in, and the checks.

The roles (role → permissions) and users' grants live in `accounts` (`accounts/roles.py`),
which registers how a user resolves to an `Access` (`register_resolver`, from its AppConfig).

The services call `require(actor, perm, ...)` before they write, whichever door the write came
in by (API, admin, field upload, registry sync, command): the check lives with the write, not
with the door. Commands and data loaders act as `SYSTEM`, which may do everything everywhere;
an actor is always named, so a forgotten check cannot default to "allowed".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db.models import F, Q
from django.utils.translation import gettext

from core.lookups import InValues
from core.statements import Param


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
    FINDINGS_VIEW = "findings_view"  # read supervision findings in the area
    FINDINGS_RESOLVE = "findings_resolve"  # resolve findings, start a supervision scan
    CASES_MANAGE = "cases_manage"  # assign cases' cadres; their plans (target date, goals)
    FOLLOW_UP_RECORD = "follow_up_record"  # schedule and record follow-ups of cases


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

    def _area_parts(self, commune_path: str, village_path: str | None) -> list[tuple]:
        """What the area's filter tests, as (name, path, values): its communes (province
        grants were resolved to their communes: `commune_id IN (...)` lets the database use
        the row's own commune index instead of joining to the units table), and its villages
        where the row has a path to one. Not asked when the access is everywhere."""
        parts = []
        if self.commune_codes:
            parts.append(("communes", commune_path, sorted(self.commune_codes)))
        if self.village_ids and village_path:
            parts.append(("villages", village_path, sorted(self.village_ids)))
        return parts

    def area_q(self, commune_path: str = "commune", village_path: str | None = "village") -> Q:
        """A filter restricting rows to the area; paths lead from the row to its units."""
        if self.everywhere:
            return Q()
        q = Q(pk__in=[])
        for _, path, values in self._area_parts(commune_path, village_path):
            if len(values) == 1:
                # `= value`: PostgreSQL plans `= ANY('{value}')` otherwise (a commune
                # officer's lists read households by code, filtering out the other communes)
                q |= Q(**{path: values[0]})
            else:
                # One parameter, not one per commune (a province grant is 54 of them), the
                # same expression to the planner as `IN (...)`: a third of a millisecond less
                # to build, compile and send on every list (core.lookups).
                q |= Q(InValues(F(path), values))
        return q

    def area_params(
        self, commune_path: str = "commune", village_path: str | None = "village"
    ) -> tuple[tuple, Q, dict] | None:
        """`area_q` for a compiled statement (`core.statements`): the filter's shape (which
        parts of the area it tests), the filter with the area's values as `Param`s, and those
        values, bound at each run. None when the area is empty (nothing matches)."""
        if self.everywhere:
            return ("everywhere",), Q(), {}
        parts = self._area_parts(commune_path, village_path)
        if not parts:
            return None
        q = Q()
        for name, path, _ in parts:
            q |= Q(InValues(F(path), Param(name)))
        return tuple(name for name, _, _ in parts), q, {name: v for name, _, v in parts}

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


_resolver: Callable[[Any], Access] | None = None


def register_resolver(resolver: Callable[[Any], Access]) -> None:
    """The app that keeps users' roles and areas (accounts) tells how to resolve a user."""
    global _resolver
    _resolver = resolver


_roles: dict[str, frozenset[Perm]] = {}


def register_roles(mapping: dict[str, frozenset[Perm]]) -> None:
    """The app that defines the roles (accounts) tells which permissions each has, so that a
    refusal can name the roles that may do what was refused."""
    _roles.clear()
    _roles.update({str(role): frozenset(perms) for role, perms in mapping.items()})


def roles_allowed(perm: Perm) -> list[str]:
    """The roles whose permissions include `perm`, in the order they were registered."""
    return [role for role, perms in _roles.items() if perm in perms]


def refusal_message(perm: Perm) -> str:
    """`Your role does not allow this (<perm>). Allowed: <role>, <role>.`"""
    allowed = roles_allowed(perm)
    names = ", ".join(allowed) if allowed else gettext("no role (national administrators only)")
    return gettext("Your role does not allow this (%(perm)s). Allowed: %(roles)s.") % {
        "perm": perm,
        "roles": names,
    }


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
    elif _resolver is None:
        raise RuntimeError("No access resolver registered (accounts.apps registers it).")
    else:
        access = _resolver(user)
    user._area_access = access
    return access


def access_digest(user) -> str:
    """What the user may do and where, as a SHA-256 digest (role, permissions, area): a
    result kept from an earlier request or job is handed out again only under the same
    digest, so that it never shows what the user's rights no longer show (idempotent
    replays, core.api.idempotency; job results, core.jobs.require_same_rights). Any change
    gives another digest, a wider area too."""
    a = access_for(user)
    cached = getattr(user, "_access_digest", None)
    if cached is not None and cached[0] is a:  # a list of jobs asks once per row
        return cached[1]
    rights = [
        a.role,
        a.everywhere,
        sorted(a.perms),
        sorted(a.province_codes),
        sorted(a.commune_codes),
        sorted(str(v) for v in a.village_ids),
    ]
    canonical = json.dumps(rights, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    if user is not None:
        user._access_digest = (a, digest)
    return digest


def same_rights(user, *, owner_id, digest: str) -> bool:
    """May `user` be handed a result that the user `owner_id` had computed under the rights
    `digest`? Its owner: only while their rights are those (no digest, as for a result kept
    before digests were recorded, is never the same). Anyone else sees another user's result
    only as a national administrator (everywhere), whose rights hold all it can hold."""
    if owner_id is not None and owner_id == getattr(user, "pk", None):
        return bool(digest) and digest == access_digest(user)
    return access_for(user).everywhere


# ---------------------------------------------------------------------------- checks


def _refuse(detail: str, **fields: str):
    from core.errors import NotAllowed

    return NotAllowed(detail, fields=fields or None, code="outside_area")


def require(actor, perm: Perm) -> Access:
    """The actor's access, if their role has `perm`; refused (403) otherwise."""
    access = access_for(actor)
    if not access.can(perm):
        from core.errors import NotAllowed

        raise NotAllowed(refusal_message(perm))
    return access


def require_area(access: Access, commune, village=None) -> None:
    """A write aimed at a commune (and village) outside the area is refused (403). The
    message names only what the caller sent."""
    if not access.covers(commune.code, commune.province_id, village.pk if village else None):
        raise _refuse(
            gettext("Commune %(code)s is outside your area.") % {"code": commune.code},
            commune=gettext("Outside your area."),
        )


def require_household(access: Access, household) -> None:
    """A write to a household outside the area is refused (403)."""
    if not covers_household(access, household):
        raise _refuse(gettext("The household is outside your area."))


def require_province(access: Access, province_code: str | None) -> None:
    """Province-level data (standards, rounds, budgets) is managed by that province's officers;
    national data (no province) only by national administrators."""
    if access.everywhere or (province_code is not None and province_code in access.province_codes):
        return
    if province_code is None:
        raise _refuse(gettext("Only national administrators manage national data."))
    raise _refuse(gettext("Province %(code)s is outside your area.") % {"code": province_code})


def covers_household(access: Access, household) -> bool:
    """True when the household is inside the area (its commune: select_related it)."""
    return access.everywhere or access.covers(
        household.commune_id, household.commune.province_id, household.village_id
    )
