from django.contrib import admin

from core.access import Perm
from core.admin import RoleAdmin, RoleInline, cleaned, editable_fields

from . import services
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


def _rows(formset) -> list[dict]:
    return [
        cleaned(form, editable_fields(formset.model, "package", "model"))
        for form in formset.forms
        if getattr(form, "cleaned_data", None) and not form.cleaned_data.get("DELETE")
    ]


@admin.register(Program)
class ProgramAdmin(RoleAdmin):
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
        "amount",
        "committed",
        "disbursed",
        "available",
    ]
    list_filter = ["year", "source", "province"]
    list_select_related = ["sub_project", "province", "commune"]
    readonly_fields = ["committed", "disbursed"]
    add_perm = change_perm = Perm.SUPPORT_MANAGE

    def get_queryset(self, request):
        return allocations_in_area(self.access(request))

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
    fields = readonly_fields = ["date", "amount", "evidence_reference", "created_by", "created_at"]


@admin.register(Assignment)
class AssignmentAdmin(RoleAdmin):
    """Assignments change state only through actions, which go through the ledger."""

    list_display = ["package", "household", "period", "amount", "disbursed", "state", "updated_at"]
    list_filter = ["state", "period", "package"]
    list_select_related = ["package", "household"]
    readonly_fields = [f.name for f in Assignment._meta.fields]
    inlines = [StepInline, DisbursementInline]
    actions = ["approve", "cancel"]
    area_paths = ("household__commune", "household__village")

    @admin.action(description="Approve (commit budget)")
    def approve(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda a: services.assignment_approve(
                assignment=a, expected_version=a.version, actor=request.user
            ),
        )

    @admin.action(description="Cancel (release what was not disbursed)")
    def cancel(self, request, queryset):
        self.run_each(
            request,
            queryset,
            lambda a: services.assignment_cancel(
                assignment=a,
                expected_version=a.version,
                actor=request.user,
                reason="Cancelled in the admin",
            ),
        )


@admin.register(LedgerEntry)
class LedgerEntryAdmin(RoleAdmin):
    """The ledger is written only by assignment steps: read-only."""

    list_display = ["at", "kind", "amount", "allocation", "assignment", "actor"]
    list_filter = ["kind"]
    readonly_fields = [f.name for f in LedgerEntry._meta.fields]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(allocation__in=allocations_in_area(self.access(request)).values("pk"))
        )


class ParticipationInline(RoleInline, admin.TabularInline):
    model = Participation
    extra = 0
    raw_id_fields = ["household"]
    add_perm = change_perm = Perm.LIVELIHOOD_MANAGE


@admin.register(LivelihoodModel)
class LivelihoodModelAdmin(RoleAdmin):
    list_display = ["name", "type", "commune", "start_date", "end_date", "budget"]
    list_filter = ["type"]
    inlines = [ParticipationInline]
    area_paths = ("commune", None)
    add_perm = change_perm = Perm.LIVELIHOOD_MANAGE

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
class TargetAdmin(RoleAdmin):
    list_display = [
        "commune",
        "village",
        "year",
        "standard_code",
        "households_to_lift",
        "poverty_rate_target",
    ]
    list_filter = ["year"]
    list_select_related = ["commune", "village"]
    raw_id_fields = ["village"]
    area_paths = ("commune", "village")
    add_perm = change_perm = Perm.SUPPORT_MANAGE

    save_service = staticmethod(services.target_save)
    instance_kwarg = "target"


# The admin's "View site" link leads to the public transparency page.
admin.site.site_url = "/public/"
