from django.contrib import admin, messages

from config.access import Perm, access_for
from config.errors import DomainError

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


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]


@admin.register(BudgetAllocation)
class BudgetAllocationAdmin(admin.ModelAdmin):
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


class EligibilityInline(admin.TabularInline):
    model = PackageEligibility
    extra = 0


class RateInline(admin.TabularInline):
    model = PackageRate
    extra = 0


class FundingInline(admin.TabularInline):
    model = PackageFunding
    extra = 0


@admin.register(SupportPackage)
class SupportPackageAdmin(admin.ModelAdmin):
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


class StepInline(admin.TabularInline):
    model = AssignmentStep
    extra = 0
    can_delete = False
    readonly_fields = ["action", "from_state", "to_state", "actor", "at", "notes"]

    def has_add_permission(self, request, obj=None):
        return False


class DisbursementInline(admin.TabularInline):
    model = Disbursement
    extra = 0
    can_delete = False
    readonly_fields = ["date", "amount", "evidence_reference", "created_by", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    """Assignments change state only through actions, which go through the ledger."""

    list_display = ["package", "household", "period", "amount", "disbursed", "state", "updated_at"]
    list_filter = ["state", "period", "package"]
    list_select_related = ["package", "household"]
    readonly_fields = [f.name for f in Assignment._meta.fields]
    inlines = [StepInline, DisbursementInline]
    actions = ["approve", "cancel"]
    show_full_result_count = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(access_for(request.user).area_q("household__commune", "household__village"))
        )

    def has_add_permission(self, request):
        return False

    def _each(self, request, queryset, fn):
        if not access_for(request.user).can(Perm.ASSIGNMENT_APPROVE):
            messages.error(request, "Your role does not approve or cancel support.")
            return
        for a in queryset:
            try:
                fn(a)
            except DomainError as exc:
                messages.error(request, f"{a}: {exc.detail}")
            else:
                messages.success(request, f"{a}: done.")

    @admin.action(description="Approve (commit budget)")
    def approve(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda a: services.assignment_approve(
                assignment=a, expected_version=a.version, actor=request.user
            ),
        )

    @admin.action(description="Cancel (release what was not disbursed)")
    def cancel(self, request, queryset):
        self._each(
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
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "kind", "amount", "allocation", "assignment", "actor"]
    list_filter = ["kind"]
    readonly_fields = [f.name for f in LedgerEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ParticipationInline(admin.TabularInline):
    model = Participation
    extra = 0
    raw_id_fields = ["household"]


@admin.register(LivelihoodModel)
class LivelihoodModelAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "commune", "start_date", "end_date", "budget"]
    list_filter = ["type"]
    inlines = [ParticipationInline]


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["commune", "year", "standard_code", "households_to_lift", "poverty_rate_target"]
    list_filter = ["year"]
