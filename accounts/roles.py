"""The roles: what each may do. A user's role and area are kept in `UserAccess`; this
module resolves them into the `core.access.Access` the services check."""

from __future__ import annotations

import time
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.access import NO_ACCESS, Access, Perm


class Role(models.TextChoices):
    PROVINCE_OFFICER = "province_officer", _("Province officer")
    COMMUNE_LEADER = "commune_leader", _("Commune chairperson (approves lists)")
    COMMUNE_OFFICER = "commune_officer", _("Commune officer")
    FIELD_ENUMERATOR = "field_enumerator", _("Field enumerator")
    REGISTRY_SYSTEM = "registry_system", _("Home Affairs registry (system)")
    AUDITOR = "auditor", _("Read-only auditor")
    ANALYST = "analyst", _("Reporting analyst (no personal data)")


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
# Supervision findings: read by the area's officers and auditors; resolved (and scans
# started) by the province and the commune chairperson, not by the officers they supervise.
_FINDINGS_DECISIONS = {Perm.FINDINGS_RESOLVE}
_COMMUNE_WORK = frozenset(Perm) - _PROVINCE_ONLY - _COMMUNE_DECISIONS - _AUDIT - _FINDINGS_DECISIONS

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    # The province manages standards and rounds; communes decide their own lists.
    Role.PROVINCE_OFFICER: frozenset(Perm) - _COMMUNE_DECISIONS - _AUDIT,
    Role.COMMUNE_LEADER: _COMMUNE_WORK | _COMMUNE_DECISIONS | _FINDINGS_DECISIONS,
    Role.COMMUNE_OFFICER: _COMMUNE_WORK,
    Role.FIELD_ENUMERATOR: frozenset(
        {
            Perm.VIEW,
            Perm.VIEW_PERSONAL,
            Perm.REGISTRY_EDIT,
            Perm.SURVEY_SUBMIT,
            Perm.FOLLOW_UP_RECORD,
        }
    ),
    Role.REGISTRY_SYSTEM: frozenset(
        {Perm.VIEW, Perm.VIEW_PERSONAL, Perm.REGISTRY_EDIT, Perm.REGISTRY_LIFECYCLE}
    ),
    Role.AUDITOR: frozenset({Perm.VIEW, Perm.VIEW_PERSONAL, Perm.AUDIT_READS, Perm.FINDINGS_VIEW}),
    Role.ANALYST: frozenset({Perm.VIEW, Perm.WHAT_IF}),
}

# Resolved areas kept between requests, by grant: {grant id: (stamp, expires, access)}. A
# change of the grant (role, provinces, communes, villages) gives it a new stamp
# (accounts.signals), which every process reads with the grant itself, so it takes effect
# at the next request. What a province grant covers also depends on which communes the
# province holds (administrative changes): that is re-read at most ACCESS_CACHE_SECONDS later.
ACCESS_CACHE_SECONDS = 60.0
_resolved: dict[int, tuple[uuid.UUID, float, Access]] = {}
_RESOLVED_MAX = 10_000


def resolve_access(user) -> Access:
    """The user's role and area from their grant: the grant is read with the user (API tokens
    load it in the same query, `accounts.authentication`) or in one query; what it covers is
    resolved once per change of the grant (above), in four small queries."""
    from accounts.models import UserAccess

    try:
        grant = user.area_access
    except UserAccess.DoesNotExist:
        return NO_ACCESS
    now = time.monotonic()
    cached = _resolved.get(grant.pk)
    if cached is not None and cached[0] == grant.stamp and cached[1] > now:
        return cached[2]
    access = _resolve(grant)
    if len(_resolved) >= _RESOLVED_MAX:
        _resolved.clear()
    _resolved[grant.pk] = (grant.stamp, now + ACCESS_CACHE_SECONDS, access)
    return access


def _resolve(grant) -> Access:
    from geo.models import Commune

    province_codes = frozenset(grant.provinces.values_list("code", flat=True))
    province_communes = Commune.objects.filter(province_id__in=province_codes)
    return Access(
        role=grant.role,
        perms=ROLE_PERMISSIONS.get(grant.role, frozenset()),
        province_codes=province_codes,
        commune_codes=frozenset(grant.communes.values_list("code", flat=True))
        | frozenset(province_communes.values_list("code", flat=True) if province_codes else ()),
        village_ids=frozenset(grant.villages.values_list("id", flat=True)),
    )
