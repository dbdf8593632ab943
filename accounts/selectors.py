"""Whose tokens an officer manages: users whose area grant lies inside the officer's area."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from accounts.roles import ROLE_PERMISSIONS
from core.access import Access


def _grant_within(access: Access, grant) -> bool:
    return (
        {p.pk for p in grant.provinces.all()} <= access.province_codes
        and {c.pk for c in grant.communes.all()} <= access.commune_codes
        and all(
            v.pk in access.village_ids or v.commune_id in access.commune_codes
            for v in grant.villages.all()
        )
    )


def users_in_area(access: Access) -> QuerySet:
    """Users whose grant (provinces, communes, villages) lies within the area. Superusers
    and users without a grant only for those who act everywhere."""
    User = get_user_model()
    if access.everywhere:
        return User.objects.all()
    candidates = (
        User.objects.filter(is_superuser=False, area_access__isnull=False)
        .select_related("area_access")
        .prefetch_related(
            "area_access__provinces", "area_access__communes", "area_access__villages"
        )
    )
    return User.objects.filter(
        pk__in=[u.pk for u in candidates if _grant_within(access, u.area_access)]
    )


def users_token_issuable(access: Access) -> QuerySet:
    """Users in the area whose role can do nothing the officer cannot: whoever holds a key
    can act as its user, so a token never lends its issuer more rights than they have."""
    users = users_in_area(access)
    if access.everywhere:
        return users
    roles = [role for role, perms in ROLE_PERMISSIONS.items() if perms <= access.perms]
    return users.filter(area_access__role__in=roles)
