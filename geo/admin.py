from django import forms
from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.access import Perm
from core.admin import RoleAdmin, RoleHistoryAdmin, RoleInline

from . import services
from .models import Commune, CommuneKindChange, EthnicGroup, Province, Village


@admin.register(Province)
class ProvinceAdmin(RoleAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name", "codename"]


class CommuneKindForm(forms.ModelForm):
    """The unit's kind, with the day the change takes effect and its basis (recorded with it:
    geo.services.commune_set_urban)."""

    valid_from = forms.DateField(
        label=_("valid from"),
        required=False,
        help_text=_("The first day of the new kind; empty: today. Not in the future."),
    )
    basis = forms.CharField(
        label=_("basis"),
        required=False,
        max_length=services.BASIS_MAX,
        help_text=_("The decision or the reason for the change."),
    )

    class Meta:
        model = Commune
        fields = ["is_urban"]


class KindChangeInline(RoleInline, admin.TabularInline):
    """The unit's recorded changes of kind: shown, never edited."""

    model = CommuneKindChange
    extra = 0
    fields = readonly_fields = [
        "valid_from",
        "was_urban",
        "is_urban",
        "basis",
        "changed_by",
        "changed_at",
    ]


@admin.register(Commune)
class CommuneAdmin(RoleAdmin):
    """Units are reference data; a province sets whether its đặc khu are urban (the income
    line they use), and records an upgrade of a xã to a phường, each from a day and on a
    basis (CommuneKindChange)."""

    form = CommuneKindForm
    inlines = [KindChangeInline]
    list_display = ["code", "name", "kind", "is_urban", "is_urban_since", "province"]
    list_filter = [("province", admin.RelatedOnlyFieldListFilter), "kind", "is_urban"]
    list_select_related = ["province"]
    search_fields = ["code", "name", "codename"]
    readonly_fields = [
        "code",
        "province",
        "name",
        "codename",
        "kind",
        "is_urban_since",
        "household_seq",
    ]
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
        if "is_urban" not in form.changed_data:
            return form.instance  # nothing to record
        return services.commune_set_urban(
            actor=request.user,
            commune=form.instance,
            is_urban=form.cleaned_data["is_urban"],
            valid_from=form.cleaned_data["valid_from"],
            basis=form.cleaned_data["basis"],
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
