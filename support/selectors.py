"""Read-side queries shared by the API and the admin."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from core.access import Access
from geo.models import Commune

from .models import BudgetAllocation


def allocations_in_area(access: Access) -> QuerySet[BudgetAllocation]:
    """Allocations of the user's communes, and the province-wide ones that cover them."""
    allocations = BudgetAllocation.objects.select_related("province", "commune")
    if access.everywhere:
        return allocations
    provinces_of_communes = Commune.objects.filter(code__in=access.commune_codes).values(
        "province_id"
    )
    return allocations.filter(
        Q(commune_id__in=access.commune_codes)
        | Q(province_id__in=access.province_codes)
        | Q(commune__isnull=True, province_id__in=provinces_of_communes)
    )
