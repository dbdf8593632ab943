import django_filters as filters

from core.api.filters import BooleanFilter, DateFilter, FilterSet

from .choices import AssignmentState, CapitalSource, ModelType, PackageKind, ProgramLevel
from .models import (
    Assignment,
    BudgetAllocation,
    Disbursement,
    LivelihoodModel,
    Program,
    SupportPackage,
    Target,
)


class ProgramFilter(FilterSet):
    level = filters.ChoiceFilter(choices=ProgramLevel.choices)
    parent = filters.UUIDFilter(field_name="parent_id")

    class Meta:
        model = Program
        fields = ["level", "parent", "code"]


class AllocationFilter(FilterSet):
    sub_project = filters.UUIDFilter(field_name="sub_project_id")
    source = filters.ChoiceFilter(choices=CapitalSource.choices)
    commune = filters.CharFilter(field_name="commune_id")
    province = filters.CharFilter(field_name="province_id")
    province_wide = BooleanFilter(field_name="commune", lookup_expr="isnull")

    class Meta:
        model = BudgetAllocation
        fields = ["sub_project", "source", "year", "commune", "province", "province_wide"]


class PackageFilter(FilterSet):
    kind = filters.ChoiceFilter(choices=PackageKind.choices)

    class Meta:
        model = SupportPackage
        fields = ["kind", "active", "code"]


class AssignmentFilter(FilterSet):
    household = filters.UUIDFilter(field_name="household_id")
    package = filters.UUIDFilter(field_name="package_id")
    commune = filters.CharFilter(field_name="household__commune_id")
    village = filters.UUIDFilter(field_name="household__village_id")
    state = filters.MultipleChoiceFilter(choices=AssignmentState.choices)

    class Meta:
        model = Assignment
        fields = ["household", "package", "commune", "village", "state", "period"]


class DisbursementFilter(FilterSet):
    assignment = filters.UUIDFilter(field_name="assignment_id")
    commune = filters.CharFilter(field_name="assignment__household__commune_id")
    date_from = DateFilter(field_name="date", lookup_expr="gte")
    date_to = DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = Disbursement
        fields = ["assignment", "commune", "date_from", "date_to"]


class LivelihoodModelFilter(FilterSet):
    commune = filters.CharFilter(field_name="commune_id")
    type = filters.ChoiceFilter(choices=ModelType.choices)

    class Meta:
        model = LivelihoodModel
        fields = ["commune", "type"]


class TargetFilter(FilterSet):
    commune = filters.CharFilter(field_name="commune_id")
    village = filters.UUIDFilter(field_name="village_id")
    commune_wide = BooleanFilter(
        field_name="village", lookup_expr="isnull", help_text="true: the communes' own targets."
    )

    class Meta:
        model = Target
        fields = ["commune", "village", "commune_wide", "year", "standard_code"]
