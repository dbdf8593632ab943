from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.access import Perm
from core.admin import (
    InAreaRelations,
    RoleAdmin,
    RoleInline,
    cleaned,
    day,
    editable_fields,
    money,
    table,
    unit_filters,
)
from core.errors import DomainError
from core.formatting import format_date, format_vnd
from households.admin import household_section, link

from . import services
from .choices import CapitalSource
from .models import (
    Assignment,
    AssignmentStep,
    BudgetAllocation,
    Disbursement,
    LedgerEntry,
    LivelihoodModel,
    PackageEligibility,
    PackageFunding,
    PackageRate,
    Participation,
    Program,
    SupportPackage,
    Target,
)
from .selectors import allocations_in_area
from .services.plans import program_tree_check


def _rows(formset) -> list[dict]:
    return [
        cleaned(form, editable_fields(formset.model, "package", "model"))
        for form in formset.forms
        if getattr(form, "cleaned_data", None) and not form.cleaned_data.get("DELETE")
    ]


class ProgramForm(forms.ModelForm):
    """The program tree's rule (the service's, program_save checks it again on save) shown
    on the form's fields, with what was typed kept."""

    class Meta:
        model = Program
        fields = editable_fields(Program)

    def clean(self):
        data = super().clean()
        if "level" not in data or self.has_error("parent"):
            return data
        try:
            program_tree_check(
                program=self.instance, level=data["level"], parent=data.get("parent")
            )
        except DomainError as exc:
            for name, reasons in exc.fields.items():
                self.add_error(name if name in self.fields else None, reasons)
        return data


@admin.register(Program)
class ProgramAdmin(RoleAdmin):
    form = ProgramForm
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    add_perm = change_perm = Perm.SUPPORT_MANAGE

    save_service = staticmethod(services.program_save)
    instance_kwarg = "program"


@admin.register(BudgetAllocation)
class BudgetAllocationAdmin(RoleAdmin):
    """Allocated amounts are set here; committed and disbursed come from the ledger."""

    list_display = [
        "sub_project",
        "source",
        "year",
        "province",
        "commune",
        "amount_vnd",
        "committed_vnd",
        "disbursed_vnd",
        "available_vnd",
    ]
    list_filter = ["year", "source", ("province", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["sub_project", "province", "commune"]
    readonly_fields = ["committed_vnd", "disbursed_vnd"]
    autocomplete_fields = ["commune"]
    add_perm = change_perm = Perm.SUPPORT_MANAGE

    amount_vnd = money("amount", _("allocated"))
    committed_vnd = money("committed", _("committed"))
    disbursed_vnd = money("disbursed", _("disbursed"))
    available_vnd = money("available", _("available"), ordering=False)

    def get_queryset(self, request):
        return allocations_in_area(self.access(request)).select_related(
            "sub_project", "province", "commune"
        )

    save_service = staticmethod(services.allocation_save)
    instance_kwarg = "allocation"


class EligibilityInline(RoleInline, admin.TabularInline):
    model = PackageEligibility
    extra = 0
    add_perm = change_perm = Perm.SUPPORT_MANAGE

    def has_delete_permission(self, request, obj=None):  # the package's lists are edited whole
        return self.has_change_permission(request, obj)


class RateInline(EligibilityInline):
    model = PackageRate

    def get_readonly_fields(self, request, obj=None):
        # a read-only page shows each rate's amount in VND
        if self.has_change_permission(request, obj):
            return super().get_readonly_fields(request, obj)
        return ["base", "valid_from", "valid_to"]

    def get_fields(self, request, obj=None):
        if self.has_change_permission(request, obj):
            return super().get_fields(request, obj)
        return ["base", "valid_from", "valid_to"]

    base = money("base_amount", _("central base"))


class FundingInline(EligibilityInline):
    model = PackageFunding


@admin.register(SupportPackage)
class SupportPackageAdmin(RoleAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "sub_project",
        "default_multiplier",
        "limit_per_period",
        "active",
    ]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]
    inlines = [EligibilityInline, RateInline, FundingInline]
    add_perm = change_perm = Perm.SUPPORT_MANAGE

    def write(self, request, form, formsets, change):
        related = {
            name: _rows(fs)
            for fs in formsets
            for name, model in services.PACKAGE_LISTS.items()
            if fs.model is model
        }
        return services.package_save(
            actor=request.user,
            package=form.instance if change else None,
            values=cleaned(form, editable_fields(SupportPackage)),
            **{name: related.get(name) for name in services.PACKAGE_LISTS},
        )


class StepInline(RoleInline, admin.TabularInline):
    model = AssignmentStep
    extra = 0
    fields = readonly_fields = ["action", "from_state", "to_state", "actor", "at", "notes"]


class DisbursementInline(RoleInline, admin.TabularInline):
    model = Disbursement
    extra = 0
    fields = readonly_fields = ["on", "amount_vnd", "evidence_reference", "created_by", "created"]

    on = day("date", _("date"))
    amount_vnd = money("amount", _("amount"))
    created = day("created_at", _("recorded"))


def split_table(split) -> str:
    """An assignment's funding split ([{source, amount}]) as a table of sources and VND."""
    names = dict(CapitalSource.choices)
    rows = [
        [names.get(p.get("source"), p.get("source")), format_vnd(p.get("amount"))] for p in split
    ]
    return table([_("capital source"), _("amount")], rows)


@admin.register(Assignment)
class AssignmentAdmin(RoleAdmin):
    """Assignments change state only through actions, which go through the ledger."""

    list_display = [
        "package",
        "household",
        "period",
        "amount_vnd",
        "disbursed_vnd",
        "state",
        "updated",
    ]
    list_filter = [
        "state",
        "period",
        "package",
        *unit_filters("household__commune", "household__village"),
    ]
    list_select_related = ["package", "household"]
    readonly_fields = [
        "household",
        "package",
        "period",
        "base_vnd",
        "multiplier",
        "amount_vnd",
        "funding_split",
        "disbursed_vnd",
        *(
            f.name
            for f in Assignment._meta.fields
            if f.name
            not in {
                "id",
                "household",
                "package",
                "period",
                "base_amount",
                "multiplier",
                "amount",
                "split",
                "disbursed",
            }
        ),
    ]
    fields = readonly_fields
    inlines = [StepInline, DisbursementInline]
    actions = ["approve", "cancel"]
    area_paths = ("household__commune", "household__village")

    base_vnd = money("base_amount", _("central base"))
    amount_vnd = money("amount", _("amount"))
    disbursed_vnd = money("disbursed", _("disbursed"))
    updated = day("updated_at", _("updated"))

    @admin.display(description=_("funding split"))
    def funding_split(self, obj) -> str:
        return split_table(obj.split or [])

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("package", "household")

    @admin.action(description=_("Approve (commit budget)"))
    def approve(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda a: services.assignment_approve(
                assignment=a,
                expected_version=self.seen_version(request, a),
                actor=request.user,
            ),
        )

    @admin.action(description=_("Cancel (release what was not disbursed)"))
    def cancel(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda a: services.assignment_cancel(
                assignment=a,
                expected_version=self.seen_version(request, a),
                actor=request.user,
                reason="Cancelled in the admin",
            ),
        )


@admin.register(LedgerEntry)
class LedgerEntryAdmin(RoleAdmin):
    """The ledger is written only by assignment steps: read-only."""

    list_display = ["when", "kind", "amount_vnd", "allocation", "assignment", "actor"]
    list_filter = ["kind"]
    list_select_related = [
        "allocation__sub_project",
        "assignment__package",
        "assignment__household",
        "actor",
    ]
    readonly_fields = [
        "when",
        "kind",
        "amount_vnd",
        *(f.name for f in LedgerEntry._meta.fields if f.name not in {"id", "at", "kind", "amount"}),
    ]
    fields = readonly_fields

    when = day("at", _("at"))
    amount_vnd = money("amount", _("amount"))

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(allocation__in=allocations_in_area(self.access(request)).values("pk"))
        )


class ParticipationInline(InAreaRelations, RoleInline, admin.TabularInline):
    model = Participation
    extra = 0
    autocomplete_fields = ["household"]
    area_relations = {"household": ("commune", "village")}  # another area's: an unknown id
    add_perm = change_perm = Perm.LIVELIHOOD_MANAGE


@admin.register(LivelihoodModel)
class LivelihoodModelAdmin(RoleAdmin):
    list_display = ["name", "type", "commune", "start", "end", "budget_vnd"]
    list_filter = ["type", *unit_filters("commune", None)]
    list_select_related = ["commune"]
    autocomplete_fields = ["commune"]
    inlines = [ParticipationInline]
    area_paths = ("commune", None)
    add_perm = change_perm = Perm.LIVELIHOOD_MANAGE

    start = day("start_date", _("start"))
    end = day("end_date", _("end"))
    budget_vnd = money("budget", _("budget"))

    def write(self, request, form, formsets, change):
        model = services.livelihood_model_save(
            actor=request.user,
            model=form.instance if change else None,
            values=cleaned(form, editable_fields(LivelihoodModel)),
        )
        for formset in formsets:
            for form_ in formset.forms:
                if not form_.has_changed() or not getattr(form_, "cleaned_data", None):
                    continue
                values = cleaned(form_, editable_fields(Participation, "model"))
                services.participation_save(
                    actor=request.user,
                    model=model,
                    household=values.pop("household"),
                    values=values,
                )
        return model


@admin.register(Target)
class TargetAdmin(InAreaRelations, RoleAdmin):
    list_display = [
        "commune",
        "village",
        "year",
        "standard_code",
        "households_to_lift",
        "poverty_rate_target",
    ]
    list_filter = ["year", *unit_filters()]
    list_select_related = ["commune", "village"]
    autocomplete_fields = ["commune", "village"]
    area_relations = {"village": ("commune", "pk")}  # another area's: an unknown id
    area_paths = ("commune", "village")
    add_perm = change_perm = Perm.SUPPORT_MANAGE

    save_service = staticmethod(services.target_save)
    instance_kwarg = "target"


# ------------------------------------------------------------ the household page's sections


@household_section(
    _("Support assignments"),
    model=Assignment,
    headers=[
        _("package"),
        _("period"),
        _("amount"),
        _("disbursed"),
        _("state"),
        _("funding split"),
    ],
    order=40,
)
def _assignments(request, household) -> list[list]:
    assignments = (
        Assignment.objects.filter(household=household)
        .select_related("package")
        .order_by("-period", "package__code")
    )
    return [
        [
            link(a, a.package.code),
            a.period,
            format_vnd(a.amount),
            format_vnd(a.disbursed),
            a.get_state_display(),
            split_table(a.split or []),
        ]
        for a in assignments
    ]


@household_section(
    _("Disbursements"),
    model=Assignment,
    headers=[_("date"), _("package"), _("amount"), pgettext_lazy("disbursement", "evidence")],
    order=50,
)
def _disbursements(request, household) -> list[list]:
    disbursements = (
        Disbursement.objects.filter(assignment__household=household)
        .select_related("assignment__package")
        .order_by("-date", "id")
    )
    return [
        [
            format_date(d.date),
            link(d.assignment, d.assignment.package.code),
            format_vnd(d.amount),
            d.evidence_reference,
        ]
        for d in disbursements
    ]


# The admin's "View site" link leads to the public transparency page.
admin.site.site_url = "/public/"
