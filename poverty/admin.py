from django import forms
from django.contrib import admin, messages

from config.access import Perm, access_for
from config.errors import DomainError

from . import services
from .choices import StandardStatus
from .models import (
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


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    fields = [
        "position",
        "code",
        "dimension",
        "name_vi",
        "name_en",
        "rule",
        "params",
        "to_confirm",
        "notes",
    ]

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.status == StandardStatus.DRAFT

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


@admin.register(PovertyStandard)
class PovertyStandardAdmin(admin.ModelAdmin):
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

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status == StandardStatus.PUBLISHED:
            return [f.name for f in obj._meta.fields]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return obj is not None and obj.status == StandardStatus.DRAFT

    @admin.action(description="Publish (becomes immutable)")
    def publish(self, request, queryset):
        self._each(request, queryset, lambda st: services.standard_publish(standard=st))

    @admin.action(description="New revision (a draft copy to correct)")
    def new_revision(self, request, queryset):
        self._each(request, queryset, lambda st: services.standard_new_revision(standard=st))

    def _each(self, request, queryset, fn):
        for standard in queryset:
            try:
                fn(standard)
            except DomainError as exc:
                messages.error(request, f"{standard}: {exc.detail}")
            else:
                messages.success(request, f"{standard}: done.")


@admin.register(ReviewRound)
class ReviewRoundAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "province", "year", "month", "opens", "closes"]
    list_filter = ["kind", "year"]


class ScopedAdmin(admin.ModelAdmin):
    area_paths = ("household__commune", "household__village")

    def get_queryset(self, request):
        return (
            super().get_queryset(request).filter(access_for(request.user).area_q(*self.area_paths))
        )


class SurveyMemberFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        survey = self.instance
        if any(self.errors) or not survey.household_id or not survey.survey_date:
            return
        rows = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        try:
            services.survey_check(
                household=survey.household, survey_date=survey.survey_date, members=rows
            )
        except DomainError as exc:
            raise forms.ValidationError(exc.detail) from exc


class SurveyMemberInline(admin.TabularInline):
    model = SurveyMember
    formset = SurveyMemberFormSet
    extra = 0
    raw_id_fields = ["member"]


@admin.register(Survey)
class SurveyAdmin(ScopedAdmin):
    """Surveys are entered here by household; saving assesses them as the API does."""

    list_display = ["household", "survey_date", "form", "is_latest", "created_at"]
    list_filter = ["form", "is_latest"]
    raw_id_fields = ["household", "enumerator"]
    readonly_fields = ["is_latest", "submitted"]
    inlines = [SurveyMemberInline]
    date_hierarchy = "survey_date"
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        return obj is None  # surveys are kept as submitted

    def save_model(self, request, obj, form, change):
        obj.enumerator = obj.enumerator or request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.survey_assess_saved(survey=form.instance)


class StepInline(admin.TabularInline):
    model = AssessmentStep
    extra = 0
    can_delete = False
    readonly_fields = [
        "action",
        "from_state",
        "to_state",
        "actor",
        "at",
        "notes",
        "attachments",
        "data",
    ]

    def has_add_permission(self, request, obj=None):
        return False


class ComplaintInline(admin.TabularInline):
    model = Complaint
    extra = 0
    readonly_fields = ["status", "resolution", "resolved_by", "resolved_at"]


@admin.register(Assessment)
class AssessmentAdmin(ScopedAdmin):
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
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    @admin.action(description="Reject (reason: rejected in the admin)")
    def reject_selected(self, request, queryset):
        if not access_for(request.user).can(Perm.ASSESSMENT_APPROVE):
            messages.error(request, "Your role does not approve or reject.")
            return
        for a in queryset:
            try:
                services.assessment_reject(
                    assessment=a,
                    expected_version=a.version,
                    actor=request.user,
                    reason="Rejected in the admin",
                )
            except DomainError as exc:
                messages.error(request, f"{a}: {exc.detail}")


@admin.register(OfficialStatus)
class OfficialStatusAdmin(ScopedAdmin):
    list_display = ["household", "standard", "classification", "valid_from", "valid_to", "event"]
    list_filter = ["standard", "classification", "event"]
    readonly_fields = [f.name for f in OfficialStatus._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(WhatIfRun)
class WhatIfRunAdmin(admin.ModelAdmin):
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
