from django import forms
from django.contrib import admin

from core.access import Perm
from core.admin import RoleAdmin, RoleHistoryAdmin, RoleInline, VersionedForm, changed, cleaned

from . import services
from .choices import DuplicateStatus, MemberStatus, Relationship, Source
from .identity import citizen_id_errors
from .models import DuplicateCandidate, Household, Member


class MemberInlineForm(VersionedForm):
    class Meta:
        model = Member
        fields = "__all__"


class MemberInlineFormSet(forms.BaseInlineFormSet):
    """Early, per-row errors for what the service will check again: one present head, and
    citizen IDs consistent with sex and birth date."""

    def clean(self):
        super().clean()
        heads = 0
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data:
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


class MemberInline(RoleInline, admin.TabularInline):
    model = Member
    form = MemberInlineForm
    formset = MemberInlineFormSet
    extra = 0
    fields = [*Member.EDITABLE, "based_on_version"]
    show_change_link = True
    add_perm = change_perm = Perm.REGISTRY_EDIT


def _member_inputs(formsets) -> list[services.MemberInput]:
    """The inline rows as the service takes them: new members whole, changed ones by id with
    the version they were based on and only what changed."""
    members = []
    for formset in formsets:
        for form in formset.forms:
            if not form.has_changed() or not getattr(form, "cleaned_data", None):
                continue
            if form.instance._state.adding:
                members.append(services.MemberInput(values=cleaned(form, Member.EDITABLE)))
            else:
                members.append(
                    services.MemberInput(
                        id=form.instance.pk,
                        version=form.cleaned_data.get("based_on_version"),
                        values=changed(form, Member.EDITABLE),
                    )
                )
    return members


class UrbanFilter(admin.SimpleListFilter):
    title = "urban / rural"
    parameter_name = "urban"

    def lookups(self, request, model_admin):
        return [("1", "Urban"), ("0", "Rural")]

    def queryset(self, request, queryset):
        if self.value() in ("0", "1"):
            return queryset.filter(commune__is_urban=self.value() == "1")
        return queryset


class HouseholdForm(VersionedForm):
    class Meta:
        model = Household
        fields = "__all__"


@admin.register(Household)
class HouseholdAdmin(RoleHistoryAdmin):
    form = HouseholdForm
    list_display = ["code", "commune", "village", "address", "status", "source", "updated_at"]
    list_filter = [UrbanFilter, "status", "source", "commune"]
    list_select_related = ["commune", "village"]
    search_fields = ["code"]
    search_help_text = "Code, address, member name or citizen ID; diacritics optional."
    readonly_fields = [
        "code",
        "source",
        "status",
        "status_reason",
        "status_date",
        "version",
        "merged_into",
        "created_at",
        "updated_at",
    ]
    autocomplete_fields = ["commune", "village"]
    inlines = [MemberInline]
    area_paths = ("commune", "village")
    add_perm = change_perm = Perm.REGISTRY_EDIT

    def get_search_results(self, request, queryset, search_term):
        if not search_term:
            return queryset, False
        if self.hidden(request):  # no search by names or IDs without personal-data rights
            return queryset.filter(code__startswith=search_term.strip()), False
        return services.household_queryset_search(queryset, search_term), False

    def write(self, request, form, formsets, change):
        members = _member_inputs(formsets)
        if not change:
            return services.household_register(
                actor=request.user,
                data=services.HouseholdInput(
                    values=cleaned(form, Household.EDITABLE), members=members
                ),
                source=Source.ADMIN,
            )
        return services.household_update(
            actor=request.user,
            household=form.instance,
            expected_version=form.cleaned_data.get("based_on_version"),
            data=services.HouseholdInput(
                values=changed(form, Household.EDITABLE), members=members or None
            ),
        )


class MemberForm(VersionedForm):
    class Meta:
        model = Member
        fields = "__all__"


@admin.register(Member)
class MemberAdmin(RoleHistoryAdmin):
    """Members are added with their household (the household's page); changed here."""

    form = MemberForm
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
    readonly_fields = ["household", "external_id", "version", "created_at", "updated_at"]
    area_paths = ("household__commune", "household__village")
    change_perm = Perm.REGISTRY_EDIT

    def get_search_results(self, request, queryset, search_term):
        if not search_term or self.hidden(request):
            return queryset, False
        return services.member_queryset_search(queryset, search_term), False

    def write(self, request, form, formsets, change):
        return services.member_update(
            actor=request.user,
            member=form.instance,
            expected_version=form.cleaned_data.get("based_on_version"),
            values=changed(form, Member.EDITABLE),
        )


@admin.register(DuplicateCandidate)
class DuplicateCandidateAdmin(RoleAdmin):
    """Read here; dismissed with the action (resolved by merging households in the API)."""

    list_display = ["member_a", "member_b", "commune", "reason", "status", "detected_at"]
    list_filter = ["status", "reason"]
    list_select_related = ["member_a", "member_b", "commune"]
    area_paths = ("commune", None)
    view_perm = Perm.VIEW_PERSONAL  # the pair is two people's names side by side
    actions = ["dismiss"]

    @admin.action(description="Dismiss: not the same person")
    def dismiss(self, request, queryset):
        self.run_each(
            request,
            queryset.filter(status=DuplicateStatus.OPEN),
            lambda c: services.duplicate_dismiss(
                actor=request.user, candidate=c, note="Dismissed in the admin"
            ),
            done="dismissed",
        )


admin.site.site_header = "Household poverty case management"
admin.site.site_title = "Poverty case management"
