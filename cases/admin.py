from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.selectors import users_in_area
from core.access import Perm
from core.admin import (
    InAreaRelations,
    RoleHistoryAdmin,
    RoleInline,
    VersionedForm,
    changed,
    day,
    unit_filters,
)
from core.formatting import format_date
from households.admin import household_section, link

from . import services
from .models import Case, FollowUp, PlanGoal


class GoalInline(RoleInline, admin.TabularInline):
    """Goals are changed in the API (PATCH /plan-goals/{id}/): shown here."""

    model = PlanGoal
    extra = 0
    fields = readonly_fields = [
        "indicator",
        "text",
        "due_date",
        "package",
        "status",
        "progress",
        "progress_note",
    ]


class FollowUpInline(RoleInline, admin.TabularInline):
    """Follow-ups are scheduled and recorded in the API or the field app: shown here."""

    model = FollowUp
    extra = 0
    fields = readonly_fields = ["kind", "scheduled_on", "cadre", "done_on", "findings", "next_step"]


class CaseForm(VersionedForm):
    class Meta:
        model = Case
        fields = ["cadre", "target_date", "commitments"]


@admin.register(Case)
class CaseAdmin(InAreaRelations, RoleHistoryAdmin):
    """Cases open, move to monitoring, close and reopen with official statuses; here the
    responsible cadre, the target date and the commitments are changed (through the
    services, with the version the form was based on)."""

    form = CaseForm
    list_display = [
        "household",
        "state",
        "classification",
        "cadre",
        "opened",
        "target",
        "monitored_until",
        "reopened_count",
    ]
    list_filter = [
        "state",
        "classification",
        *unit_filters("household__commune", "household__village"),
    ]
    list_select_related = ["household", "cadre"]
    search_fields = ["household__code"]
    raw_id_fields = ["cadre"]
    # The cadre is typed as a user id: only users of the area are labelled and accepted (the
    # service refuses a user who cannot follow the household, with the same words for one
    # elsewhere and one that does not exist).
    area_relations = {"cadre": users_in_area}
    readonly_fields = [
        "household",
        "standard",
        "classification",
        "state",
        "opened_on",
        "escaped_on",
        "monitoring_until",
        "closed_on",
        "reopened_count",
        "version",
    ]
    inlines = [GoalInline, FollowUpInline]
    change_perm = Perm.CASES_MANAGE
    area_paths = ("household__commune", "household__village")

    opened = day("opened_on", _("opened on"))
    target = day("target_date", _("target date"))
    monitored_until = day("monitoring_until", _("monitoring until"))

    def write(self, request, form, formsets, change):
        case = Case.objects.get(pk=form.instance.pk)
        version = form.cleaned_data.get("based_on_version")
        if "cadre" in form.changed_data:
            cadre = form.cleaned_data["cadre"]
            case = services.case_assign_cadre(
                case=case,
                cadre_id=cadre.pk if cadre else None,
                expected_version=version,
                actor=request.user,
            )
            version = case.version
        values = changed(form, ["target_date", "commitments"])
        if values:
            case = services.case_update(
                case=case, values=values, expected_version=version, actor=request.user
            )
        return case


@household_section(
    _("Case"),
    model=Case,
    headers=[
        _("state"),
        _("classification"),
        _("standard"),
        _("cadre"),
        _("opened on"),
        _("target date"),
    ],
    order=60,
    empty=_("No case"),
)
def _case(request, household) -> list[list]:
    cases = Case.objects.filter(household=household).select_related("standard", "cadre")
    return [
        [
            link(c, c.get_state_display()),
            c.get_classification_display(),
            c.standard.code,
            c.cadre.get_full_name() or c.cadre.username if c.cadre else "",
            format_date(c.opened_on),
            format_date(c.target_date) if c.target_date else "",
        ]
        for c in cases
    ]
