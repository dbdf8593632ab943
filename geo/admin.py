from django.contrib import admin
from django.db.models import Q

from core.access import Perm
from core.admin import RoleAdmin, RoleHistoryAdmin

from . import services
from .models import Commune, EthnicGroup, Province, Village


@admin.register(Province)
class ProvinceAdmin(RoleAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name", "codename"]


@admin.register(Commune)
class CommuneAdmin(RoleAdmin):
    """Units are reference data; a province sets whether its đặc khu are urban (the income
    line they use)."""

    list_display = ["code", "name", "kind", "is_urban", "province"]
    list_filter = [("province", admin.RelatedOnlyFieldListFilter), "kind", "is_urban"]
    list_select_related = ["province"]
    list_editable = ["is_urban"]
    search_fields = ["code", "name", "codename"]
    readonly_fields = ["code", "province", "name", "codename", "kind", "household_seq"]
    change_perm = Perm.STANDARDS_MANAGE

    def get_queryset(self, request):
        """The communes of the user's area (and those of the villages granted to them): the
        list, and the autocomplete of every commune field and filter, offer only these."""
        qs = super().get_queryset(request)
        access = self.access(request)
        if access.everywhere:
            return qs
        q = Q(pk__in=sorted(access.commune_codes))
        if access.village_ids:
            q |= Q(
                pk__in=Village.objects.filter(pk__in=sorted(access.village_ids)).values("commune")
            )
        return qs.filter(q)

    def write(self, request, form, formsets, change):
        return services.commune_set_urban(
            actor=request.user, commune=form.instance, is_urban=form.cleaned_data["is_urban"]
        )


@admin.register(EthnicGroup)
class EthnicGroupAdmin(RoleAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Village)
class VillageAdmin(RoleHistoryAdmin):
    list_display = ["name", "kind", "commune"]
    list_filter = ["kind", ("commune__province", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["commune"]
    search_fields = ["name", "commune__name", "commune__code"]
    autocomplete_fields = ["commune"]
    area_paths = ("commune", "pk")
    add_perm = change_perm = Perm.VILLAGES_MANAGE

    save_service = staticmethod(services.village_save)
    instance_kwarg = "village"
