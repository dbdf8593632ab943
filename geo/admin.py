from django.contrib import admin

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
    list_filter = ["province", "kind", "is_urban"]
    list_editable = ["is_urban"]
    search_fields = ["code", "name", "codename"]
    readonly_fields = ["code", "province", "name", "codename", "kind", "household_seq"]
    change_perm = Perm.STANDARDS_MANAGE

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
    list_filter = ["kind", "commune__province"]
    search_fields = ["name", "commune__name", "commune__code"]
    autocomplete_fields = ["commune"]
    area_paths = ("commune", "pk")
    add_perm = change_perm = Perm.VILLAGES_MANAGE

    save_service = staticmethod(services.village_save)
    instance_kwarg = "village"
