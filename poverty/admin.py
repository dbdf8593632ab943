from django import forms
from django.contrib import admin

from core.access import Perm
from core.admin import RoleAdmin, RoleInline, changed, cleaned, editable_fields
from core.errors import DomainError

from . import selectors, services
from .choices import StandardStatus
from .models import (
    INDICATOR_FIELDS,
    SURVEY_FIELDS,
    SURVEY_MEMBER_FIELDS,
    Assessment,
    AssessmentStep,
    Complaint,
    Indicator,
    OfficialStatus,
    PovertyStandard,
    ReviewRound,
    Survey,
    SurveyMember,
    WhatIfRun,
)

# What a form edits; the readonly fields are not in the form, so not in what is written.
STANDARD_FIELDS = editable_fields(PovertyStandard)


def _is_draft(obj) -> bool:
    return obj is None or obj.status == StandardStatus.DRAFT


class IndicatorInline(RoleInline, admin.TabularInline):
    model = Indicator
    extra = 0
    fields = list(INDICATOR_FIELDS)
    add_perm = change_perm = Perm.STANDARDS_MANAGE

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and _is_draft(obj)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and _is_draft(obj)

    def has_delete_permission(self, request, obj=None):  # a draft's indicator list is edited
        return self.has_change_permission(request, obj)


def _rows(formsets, names) -> list[dict]:
    """The rows of the (only) inline, as cleaned data, without those marked for deletion."""
    return [
        cleaned(form, names)
        for formset in formsets
        for form in formset.forms
        if getattr(form, "cleaned_data", None) and not form.cleaned_data.get("DELETE")
    ]


@admin.register(PovertyStandard)
class PovertyStandardAdmin(RoleAdmin):
    """Drafts are edited here; a published standard is read-only (make a new revision)."""

    list_display = [
        "code",
        "revision",
        "name",
        "scope",
        "province",
        "valid_from",
        "valid_to",
        "rural_line",
        "urban_line",
        "status",
    ]
    list_filter = ["scope", "status"]
    inlines = [IndicatorInline]
    actions = ["publish", "new_revision"]
    readonly_fields = ["revision", "status", "published_at", "supersedes"]
    add_perm = change_perm = Perm.STANDARDS_MANAGE

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and _is_draft(obj)

    def write(self, request, form, formsets, change):
        indicators = _rows(formsets, INDICATOR_FIELDS)
        if not change:
            return services.standard_create(
                actor=request.user, values=cleaned(form, STANDARD_FIELDS), indicators=indicators
            )
        return services.standard_update(
            actor=request.user,
            standard=form.instance,
            values=changed(form, STANDARD_FIELDS),
            indicators=indicators,
        )

    @admin.action(description="Publish (becomes immutable)")
    def publish(self, request, queryset):
        self.run_each(
            request, queryset, lambda st: services.standard_publish(actor=request.user, standard=st)
        )

    @admin.action(description="New revision (a draft copy to correct)")
    def new_revision(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda st: services.standard_new_revision(actor=request.user, standard=st),
        )


@admin.register(ReviewRound)
class ReviewRoundAdmin(RoleAdmin):
    """Rounds are opened here; once open they are not edited."""

    list_display = ["name", "kind", "province", "year", "month", "opens", "closes"]
    list_filter = ["kind", "year"]
    add_perm = Perm.ROUNDS_MANAGE

    def write(self, request, form, formsets, change):
        values = cleaned(form, ("province", "kind", "year", "month", "opens", "closes", "name"))
        return services.review_round_create(
            actor=request.user, values={k: v for k, v in values.items() if v not in (None, "")}
        )


class SurveyMemberFormSet(forms.BaseInlineFormSet):
    """Early errors for the member rows (the service checks them again on save)."""

    def clean(self):
        super().clean()
        survey = self.instance
        if any(self.errors) or not survey.household_id or not survey.survey_date:
            return
        try:
            services.survey_check(
                household=survey.household,
                values={name: getattr(survey, name) for name in SURVEY_FIELDS},
                members=_rows([self], SURVEY_MEMBER_FIELDS),
            )
        except DomainError as exc:
            raise forms.ValidationError(exc.detail) from exc


class SurveyMemberInline(RoleInline, admin.TabularInline):
    model = SurveyMember
    formset = SurveyMemberFormSet
    fields = list(SURVEY_MEMBER_FIELDS)
    extra = 0
    raw_id_fields = ["member"]
    add_perm = Perm.SURVEY_SUBMIT


@admin.register(Survey)
class SurveyAdmin(RoleAdmin):
    """Surveys are entered here by household and assessed as the API does; a survey is kept
    as submitted (never edited)."""

    list_display = ["household", "survey_date", "form", "is_latest", "created_at"]
    list_filter = ["form", "is_latest"]
    raw_id_fields = ["household"]
    readonly_fields = ["enumerator", "is_latest", "submitted", "captured_at"]
    inlines = [SurveyMemberInline]
    date_hierarchy = "survey_date"
    area_paths = ("household__commune", "household__village")
    add_perm = Perm.SURVEY_SUBMIT

    def write(self, request, form, formsets, change):
        return services.survey_submit(
            actor=request.user,
            household=form.cleaned_data["household"],
            values=cleaned(form, SURVEY_FIELDS),
            members=_rows(formsets, SURVEY_MEMBER_FIELDS),
        )


class StepInline(RoleInline, admin.TabularInline):
    model = AssessmentStep
    extra = 0
    fields = readonly_fields = [
        "action",
        "from_state",
        "to_state",
        "actor",
        "at",
        "notes",
        "attachments",
        "data",
    ]


class ComplaintInline(RoleInline, admin.TabularInline):
    model = Complaint
    extra = 0
    fields = readonly_fields = [
        "lodged_by",
        "lodged_on",
        "text",
        "status",
        "resolution",
        "resolved_by",
        "resolved_at",
    ]


@admin.register(Assessment)
class AssessmentAdmin(RoleAdmin):
    """Assessments change only through their workflow steps (the API); here they are read, and
    a commune chairperson may reject undecided ones."""

    list_display = [
        "household",
        "standard",
        "classification",
        "deprivation_count",
        "income_per_person_month",
        "state",
        "review_round",
        "created_at",
    ]
    list_filter = ["state", "classification", "standard", "application"]
    list_select_related = ["household", "standard", "review_round"]
    readonly_fields = [f.name for f in Assessment._meta.fields]
    inlines = [StepInline, ComplaintInline]
    actions = ["reject_selected"]
    area_paths = ("household__commune", "household__village")

    @admin.action(description="Reject (reason: rejected in the admin)")
    def reject_selected(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda a: services.assessment_reject(
                assessment=a,
                expected_version=a.version,
                actor=request.user,
                reason="Rejected in the admin",
            ),
            done="rejected",
        )


@admin.register(OfficialStatus)
class OfficialStatusAdmin(RoleAdmin):
    """Set only by approvals: read-only."""

    list_display = ["household", "standard", "classification", "valid_from", "valid_to", "event"]
    list_filter = ["standard", "classification", "event"]
    readonly_fields = [f.name for f in OfficialStatus._meta.fields]
    area_paths = ("household__commune", "household__village")


@admin.register(WhatIfRun)
class WhatIfRunAdmin(RoleAdmin):
    """What-if runs: each user sees their own (national administrators all)."""

    list_display = [
        "created_at",
        "standard",
        "baseline",
        "commune",
        "households",
        "changed",
        "seconds",
    ]
    readonly_fields = [f.name for f in WhatIfRun._meta.fields]

    def get_queryset(self, request):
        return selectors.whatif_runs_visible(
            super().get_queryset(request), access=self.access(request), user=request.user
        )
