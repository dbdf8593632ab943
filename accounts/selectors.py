"""Whose tokens an officer manages: users whose area grant lies inside the officer's area."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import UserAccess
from accounts.roles import ROLE_PERMISSIONS
from core.access import Access


def users_in_area(access: Access) -> QuerySet:
    """Users whose grant (provinces, communes, villages) lies within the area: none of its
    provinces, communes or villages is outside it (a village is inside when it is, or its
    commune is). Superusers and users without a grant only for those who act everywhere.
    One statement, whatever the number of users: no grant is read into Python."""
    User = get_user_model()
    if access.everywhere:
        return User.objects.all()
    grant = OuterRef("area_access")
    provinces, communes, villages = (
        getattr(UserAccess, name).through.objects.filter(useraccess=grant)
        for name in ("provinces", "communes", "villages")
    )
    province_outside = provinces.exclude(province__in=access.province_codes)
    commune_outside = communes.exclude(commune__in=access.commune_codes)
    village_outside = villages.exclude(village__in=access.village_ids).exclude(
        village__commune__in=access.commune_codes
    )
    return User.objects.filter(is_superuser=False, area_access__isnull=False).exclude(
        Exists(province_outside) | Exists(commune_outside) | Exists(village_outside)
    )


def users_token_issuable(access: Access) -> QuerySet:
    """Users in the area whose role can do nothing the officer cannot: whoever holds a key
    can act as its user, so a token never lends its issuer more rights than they have."""
    users = users_in_area(access)
    if access.everywhere:
        return users
    roles = [role for role, perms in ROLE_PERMISSIONS.items() if perms <= access.perms]
    return users.filter(area_access__role__in=roles)
