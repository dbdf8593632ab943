"""The roles: what each may do. A user's role and area are kept in `UserAccess`; this
module resolves them into the `core.access.Access` the services check."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.access import NO_ACCESS, Access, Perm
from core.audit import Channel


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

CHANNEL_BY_ROLE = {
    Role.FIELD_ENUMERATOR: Channel.FIELD_APP,
    Role.REGISTRY_SYSTEM: Channel.REGISTRY_SYNC,
}


def resolve_access(user) -> Access:
    """The user's role and area from their grant (one query with prefetches)."""
    from accounts.models import UserAccess

    grant = (
        UserAccess.objects.filter(user=user)
        .prefetch_related("provinces__communes", "communes", "villages")
        .first()
    )
    if grant is None:
        return NO_ACCESS
    return Access(
        role=grant.role,
        channel=CHANNEL_BY_ROLE.get(grant.role, Channel.API),
        perms=ROLE_PERMISSIONS.get(grant.role, frozenset()),
        province_codes=frozenset(p.code for p in grant.provinces.all()),
        commune_codes=frozenset(c.code for c in grant.communes.all())
        | {c.code for p in grant.provinces.all() for c in p.communes.all()},
        village_ids=frozenset(v.id for v in grant.villages.all()),
    )
