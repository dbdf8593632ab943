from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.access import Perm
from core.admin import (
    InAreaRelations,
    RoleAdmin,
    RoleInline,
    changed,
    cleaned,
    day,
    editable_fields,
    money,
    table,
    unit_filters,
    yes_no,
)
from core.errors import DomainError
from core.formatting import format_date
from core.languages import vietnamese
from households.admin import household_section, link

from . import selectors, services
from .choices import StandardStatus
from .fields import (
    HOUSEHOLD_FACT_FIELDS,
    INCOME_FIELDS,
    INDICATOR_FIELDS,
    SURVEY_FIELDS,
    SURVEY_MEMBER_FIELDS,
)
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
from .rules.codes import CODES

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

    @admin.action(description=_("Publish (becomes immutable)"))
    def publish(self, request, queryset):
        self.run_each(
            request, queryset, lambda st: services.standard_publish(actor=request.user, standard=st)
        )

    @admin.action(description=_("New revision (a draft copy to correct)"))
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
    """Early errors for the member rows (the service checks them again on save), checked as
    the user who posts the form (`actor`, set by SurveyMemberInline.get_formset): role and
    area first."""

    actor = None

    def clean(self):
        super().clean()
        survey = self.instance
        if any(self.errors) or not survey.household_id or not survey.survey_date:
            return
        try:
            services.survey_check(
                actor=self.actor,
                household=survey.household,
                values={name: getattr(survey, name) for name in SURVEY_FIELDS},
                members=_rows([self], SURVEY_MEMBER_FIELDS),
            )
        except DomainError as exc:
            raise forms.ValidationError(exc.detail) from exc


class SurveyMemberInline(InAreaRelations, RoleInline, admin.TabularInline):
    model = SurveyMember
    formset = SurveyMemberFormSet
    fields = list(SURVEY_MEMBER_FIELDS)
    extra = 0
    raw_id_fields = ["member"]
    area_relations = {"member": ("household__commune", "household__village")}
    add_perm = Perm.SURVEY_SUBMIT

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)  # a new class for each request
        formset.actor = request.user
        return formset


@admin.register(Survey)
class SurveyAdmin(InAreaRelations, RoleAdmin):
    """Surveys are entered here by household and assessed as the API does; a survey is kept
    as submitted (never edited)."""

    list_display = ["__str__", "date", "form", "is_latest", "created"]
    list_filter = ["form", "is_latest", *unit_filters("household__commune", "household__village")]
    list_select_related = ["household"]
    autocomplete_fields = ["household"]
    area_relations = {"household": ("commune", "village")}
    readonly_fields = ["enumerator", "is_latest", "device_table", "captured_at"]
    exclude = ["submitted"]  # the body as submitted: the API's; its facts are the fields here
    inlines = [SurveyMemberInline]
    date_hierarchy = "survey_date"
    area_paths = ("household__commune", "household__village")
    add_perm = Perm.SURVEY_SUBMIT

    date = day("survey_date", _("survey date"))
    created = day("created_at", _("received"))

    @admin.display(description=_("devices owned"))
    def device_table(self, obj) -> str:
        if obj is None or obj.devices is None:
            return _("Not recorded")
        vi = vietnamese()
        names = CODES["device"]
        rows = ([names[d][0 if vi else 1] if d in names else d] for d in obj.devices)
        return table([_("device")], rows, empty=_("None"))

    income_wages_vnd = money("income_wages", _("income from wages"))
    income_agriculture_vnd = money("income_agriculture", _("income from agriculture"))
    income_business_vnd = money("income_business", _("income from business"))
    income_allowances_vnd = money("income_allowances", _("income from allowances"))
    income_other_vnd = money("income_other", _("other income"))
    annual_income_vnd = money("annual_income", _("annual income"), ordering=False)

    # A submitted survey is read, never edited: its page shows it in these rows.
    SHOWN = (
        "household",
        "date",
        "form",
        "enumerator_name",
        "enumerator",
        *(f"{name}_vnd" for name in INCOME_FIELDS),
        "annual_income_vnd",
        *(f for f in HOUSEHOLD_FACT_FIELDS if f != "devices"),
        "device_table",
        "captured_at",
        "created",
        "is_latest",
    )

    def get_fields(self, request, obj=None):
        if obj is None:
            return super().get_fields(request, obj)
        hidden = self.hidden(request)
        return [f for f in self.SHOWN if self._shows(f, hidden)]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            fields = super().get_readonly_fields(request, obj)
            return [f for f in fields if f != "device_table"]
        return self.get_fields(request, obj)

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
        "when",
        "notes",
        "attachment_list",
        "details",
    ]

    when = day("at", _("at"))

    @admin.display(description=_("attachments"))
    def attachment_list(self, obj) -> str:
        return table([_("reference")], ([a] for a in obj.attachments or []), empty="—")

    @admin.display(description=_("details"))
    def details(self, obj) -> str:
        return table([_("field"), _("value")], sorted((obj.data or {}).items()), empty="—")


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
        "__str__",
        "deprivation_count",
        "income",
        "state",
        "review_round",
        "created",
    ]
    list_filter = [
        "state",
        "classification",
        "standard",
        "application",
        *unit_filters("household__commune", "household__village"),
    ]
    list_select_related = ["household", "standard", "review_round"]
    readonly_fields = [
        "household",
        "survey",
        "standard",
        "engine_version",
        "review_round",
        "application",
        "is_urban",
        "household_size",
        "income",
        "line_vnd",
        "deprivation_count",
        "classification",
        "indicator_table",
        "explanation_vi",
        "explanation_en",
        "state",
        "meeting_date_day",
        "meeting_attendees",
        "meeting_agreeing",
        "posted_from_day",
        "posted_to_day",
        "decision_number",
        "decision_date_day",
        "certificate_number",
        "rejection_reason",
        "version",
        "created",
        "updated",
    ]
    fields = readonly_fields
    inlines = [StepInline, ComplaintInline]
    actions = ["reject_selected"]
    area_paths = ("household__commune", "household__village")

    income = money("income_per_person_month", _("income per person per month"))
    line_vnd = money("line", _("poverty line per person per month"))
    meeting_date_day = day("meeting_date", _("meeting date"))
    posted_from_day = day("posted_from", _("posted from"))
    posted_to_day = day("posted_to", _("posted to"))
    decision_date_day = day("decision_date", _("decision date"))
    created = day("created_at", _("created"))
    updated = day("updated_at", _("updated"))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("household", "standard", "survey")

    @admin.display(description=_("indicators"))
    def indicator_table(self, obj) -> str:
        """Each indicator of the standard: its name in the user's language, whether the
        household is deprived in it (or unknown: a fact it needs was not recorded), why."""
        vi = vietnamese()
        names = {
            i.code: i.name_vi if vi else i.name_en
            for i in Indicator.objects.filter(standard_id=obj.standard_id)
        }
        rows = [
            [
                names.get(i["code"], i["code"]),
                yes_no(i.get("deprived")),
                i.get("reason_vi" if vi else "reason_en") or "",
            ]
            for i in obj.indicators or []
        ]
        return table([_("indicator"), _("deprived"), _("reason")], rows)

    @admin.action(description=_("Reject (reason: rejected in the admin)"))
    def reject_selected(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda a: services.assessment_reject(
                assessment=a,
                expected_version=self.seen_version(request, a),
                actor=request.user,
                reason="Rejected in the admin",
            ),
            done="rejected",
        )


# the assessment's figures copied onto its status for the reports: shown on the assessment
STATUS_REPORT_COLUMNS = ["deprivation_count", "indicator_codes", "deprived_mask"]


@admin.register(OfficialStatus)
class OfficialStatusAdmin(RoleAdmin):
    """Set only by approvals: read-only."""

    list_display = ["household", "standard", "classification", "start", "end", "event"]
    list_filter = [
        "standard",
        "classification",
        "event",
        *unit_filters("household__commune", "household__village"),
    ]
    list_select_related = ["household", "standard"]
    exclude = STATUS_REPORT_COLUMNS
    readonly_fields = [
        f.name for f in OfficialStatus._meta.fields if f.name not in STATUS_REPORT_COLUMNS
    ]
    area_paths = ("household__commune", "household__village")

    start = day("valid_from", _("from"))
    end = day("valid_to", _("to"))


@admin.register(WhatIfRun)
class WhatIfRunAdmin(RoleAdmin):
    """What-if runs: each user sees their own (national administrators all), while their role
    and area are those the run was made under."""

    list_display = [
        "created",
        "standard",
        "baseline",
        "commune",
        "households",
        "changed",
        "seconds",
    ]
    list_select_related = ["standard", "baseline", "commune"]
    readonly_fields = [f.name for f in WhatIfRun._meta.fields]

    created = day("created_at", _("created"))

    def get_queryset(self, request):
        return selectors.whatif_runs_readable(
            super().get_queryset(request), access=self.access(request), user=request.user
        )


# ------------------------------------------------------------ the household page's sections


@household_section(
    _("Poverty status timeline"),
    model=OfficialStatus,
    headers=[_("standard"), _("classification"), _("from"), _("to"), _("event")],
    order=10,
)
def _statuses(request, household) -> list[list]:
    statuses = OfficialStatus.objects.filter(household=household).select_related("standard")
    return [
        [
            s.standard.code,
            link(s, s.get_classification_display()),
            format_date(s.valid_from),
            format_date(s.valid_to) if s.valid_to else _("current"),
            s.get_event_display(),
        ]
        for s in statuses.order_by("standard__code", "valid_from")
    ]


@household_section(
    _("Surveys"),
    model=Survey,
    headers=[_("survey date"), _("form"), _("enumerator"), _("latest")],
    order=20,
)
def _surveys(request, household) -> list[list]:
    return [
        [
            link(s, format_date(s.survey_date)),
            s.get_form_display(),
            s.enumerator_name,
            yes_no(s.is_latest),
        ]
        for s in Survey.objects.filter(household=household).order_by("-survey_date", "id")
    ]


@household_section(
    _("Assessments"),
    model=Assessment,
    headers=[
        _("survey date"),
        _("standard"),
        _("classification"),
        _("deprivations"),
        _("state"),
        _("decision date"),
    ],
    order=30,
)
def _assessments(request, household) -> list[list]:
    assessments = (
        Assessment.objects.filter(household=household)
        .select_related("standard", "survey")
        .order_by("-survey__survey_date", "standard__code")
    )
    return [
        [
            format_date(a.survey.survey_date),
            a.standard.code,
            link(a, a.get_classification_display()),
            a.deprivation_count,
            a.get_state_display(),
            format_date(a.decision_date) if a.decision_date else "",
        ]
        for a in assessments
    ]
