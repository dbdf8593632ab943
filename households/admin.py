from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from simple_history.admin import SimpleHistoryAdmin

from config.access import access_for
from config.errors import DomainError

from . import services
from .choices import DuplicateStatus, MemberStatus, Relationship
from .identity import citizen_id_errors, fold
from .models import (
    Commune,
    DuplicateCandidate,
    EthnicGroup,
    Household,
    Member,
    Province,
    UserAccess,
    Village,
)


class AreaScopedAdmin(admin.ModelAdmin):
    """Staff who are not superusers see only their area, as in the API."""

    area_paths: tuple[str, str | None] = ("commune", "village")

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs.filter(access_for(request.user).area_q(*self.area_paths))


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name", "codename"]


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "is_urban", "province"]
    list_filter = ["province", "kind", "is_urban"]
    list_editable = ["is_urban"]
    search_fields = ["code", "name", "codename"]
    readonly_fields = ["code", "province", "name", "codename", "kind", "household_seq"]


@admin.register(EthnicGroup)
class EthnicGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Village)
class VillageAdmin(AreaScopedAdmin, SimpleHistoryAdmin):
    list_display = ["name", "kind", "commune"]
    list_filter = ["kind", "commune__province"]
    search_fields = ["name", "commune__name", "commune__code"]
    autocomplete_fields = ["commune"]
    area_paths = ("commune", "pk")


class MemberInlineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        heads = 0
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE"):
                continue
            if (
                data.get("relationship") == Relationship.HEAD
                and data.get("status", MemberStatus.PRESENT) == MemberStatus.PRESENT
            ):
                heads += 1
            if data.get("citizen_id"):
                errors = citizen_id_errors(
                    data["citizen_id"], sex=data.get("sex"), date_of_birth=data.get("date_of_birth")
                )
                if errors:
                    form.add_error("citizen_id", errors)
        if heads != 1 and self.instance.status == "active":
            raise forms.ValidationError(
                f"An active household has exactly one present head (found {heads})."
            )


class MemberInline(admin.TabularInline):
    model = Member
    formset = MemberInlineFormSet
    extra = 0
    fields = [
        "full_name",
        "date_of_birth",
        "sex",
        "ethnicity",
        "relationship",
        "citizen_id",
        "status",
        "status_date",
    ]
    can_delete = False
    show_change_link = True


class UrbanFilter(admin.SimpleListFilter):
    title = "urban / rural"
    parameter_name = "urban"

    def lookups(self, request, model_admin):
        return [("1", "Urban"), ("0", "Rural")]

    def queryset(self, request, queryset):
        if self.value() in ("0", "1"):
            return queryset.filter(commune__is_urban=self.value() == "1")
        return queryset


@admin.register(Household)
class HouseholdAdmin(AreaScopedAdmin, SimpleHistoryAdmin):
    list_display = ["code", "commune", "village", "address", "status", "source", "updated_at"]
    list_filter = [UrbanFilter, "status", "source", "commune"]
    list_select_related = ["commune", "village"]
    search_fields = ["code"]
    search_help_text = "Code, address, member name or citizen ID; diacritics optional."
    readonly_fields = ["code", "source", "version", "merged_into", "created_at", "updated_at"]
    autocomplete_fields = ["commune", "village"]
    inlines = [MemberInline]
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        if not search_term:
            return queryset, False
        return services.household_queryset_search(queryset, search_term), False

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        if not change:
            obj.code = services.next_household_code(obj.commune)
            obj.source = "admin"
        else:
            obj.version += 1
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        try:
            for member in instances:
                if member.citizen_id == "":
                    member.citizen_id = None
                member.name_folded = fold(member.full_name)
                if member.pk and not member._state.adding:
                    member.version += 1
                member.save()
        except DomainError as exc:  # pragma: no cover - formset validation runs first
            messages.error(request, exc.detail)
            raise
        services.refresh_search_text(form.instance)
        services.detect_duplicates(instances)


@admin.register(Member)
class MemberAdmin(AreaScopedAdmin, SimpleHistoryAdmin):
    list_display = [
        "full_name",
        "date_of_birth",
        "sex",
        "ethnicity",
        "relationship",
        "household",
        "status",
    ]
    list_filter = ["status", "sex", "relationship", "ethnicity"]
    list_select_related = ["household", "ethnicity"]
    search_fields = ["citizen_id"]
    readonly_fields = ["household", "version", "created_at", "updated_at"]
    area_paths = ("household__commune", "household__village")
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        if not search_term:
            return queryset, False
        return services.member_queryset_search(queryset, search_term), False

    def save_model(self, request, obj, form, change):
        obj.name_folded = fold(obj.full_name)
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)
        services.refresh_search_text(obj.household)


@admin.register(DuplicateCandidate)
class DuplicateCandidateAdmin(AreaScopedAdmin):
    list_display = ["member_a", "member_b", "commune", "reason", "status", "detected_at"]
    list_filter = ["status", "reason"]
    list_select_related = ["member_a", "member_b", "commune"]
    readonly_fields = [
        "member_a",
        "member_b",
        "commune",
        "reason",
        "detected_at",
        "resolved_at",
        "resolved_by",
    ]
    area_paths = ("commune", None)
    actions = ["dismiss"]

    @admin.action(description="Dismiss: not the same person")
    def dismiss(self, request, queryset):
        done = 0
        for candidate in queryset.filter(status=DuplicateStatus.OPEN):
            services.duplicate_dismiss(
                candidate=candidate, user=request.user, note="Dismissed in the admin"
            )
            done += 1
        self.message_user(request, f"{done} candidate(s) dismissed.")


class UserAccessInline(admin.StackedInline):
    model = UserAccess
    can_delete = False
    filter_horizontal = ["provinces", "communes", "villages"]
    verbose_name_plural = "area and role"


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserWithAccessAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, UserAccessInline]
    list_display = [*UserAdmin.list_display, "role"]

    @admin.display(description="role")
    def role(self, obj):
        access = getattr(obj, "area_access", None)
        return access.get_role_display() if access else "—"


admin.site.site_header = "Household poverty case management"
admin.site.site_title = "Poverty case management"
