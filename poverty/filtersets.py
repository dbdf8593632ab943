import django_filters as filters

from core.api.filters import BooleanFilter, DateFilter, FilterSet

from .choices import Classification, Scope, StandardStatus
from .models import (
    Application,
    Assessment,
    OfficialStatus,
    PovertyStandard,
    ReviewKind,
    ReviewRound,
    Survey,
    WhatIfChange,
    WorkflowState,
)


class StandardFilter(FilterSet):
    scope = filters.ChoiceFilter(choices=Scope.choices)
    status = filters.ChoiceFilter(choices=StandardStatus.choices)
    province = filters.CharFilter(field_name="province_id")
    valid_on = DateFilter(method="filter_valid_on", help_text="In force on this date.")

    class Meta:
        model = PovertyStandard
        fields = ["code", "scope", "status", "province", "valid_on"]

    def filter_valid_on(self, queryset, name, value):
        return queryset.filter(valid_from__lte=value).exclude(valid_to__lt=value)


class ReviewRoundFilter(FilterSet):
    province = filters.CharFilter(field_name="province_id")
    kind = filters.ChoiceFilter(choices=ReviewKind.choices)

    class Meta:
        model = ReviewRound
        fields = ["province", "kind", "year", "month"]


class SurveyFilter(FilterSet):
    household = filters.UUIDFilter(field_name="household_id")
    commune = filters.CharFilter(field_name="household__commune_id")
    village = filters.UUIDFilter(field_name="household__village_id")
    date_from = DateFilter(field_name="survey_date", lookup_expr="gte")
    date_to = DateFilter(field_name="survey_date", lookup_expr="lte")
    latest = BooleanFilter(field_name="is_latest")

    class Meta:
        model = Survey
        fields = ["household", "commune", "village", "date_from", "date_to", "latest", "form"]


class AssessmentFilter(FilterSet):
    household = filters.UUIDFilter(field_name="household_id")
    commune = filters.CharFilter(field_name="household__commune_id")
    village = filters.UUIDFilter(field_name="household__village_id")
    standard = filters.UUIDFilter(field_name="standard_id")
    standard_code = filters.CharFilter(field_name="standard__code")
    classification = filters.MultipleChoiceFilter(choices=Classification.choices)
    state = filters.MultipleChoiceFilter(choices=WorkflowState.choices)
    review_round = filters.UUIDFilter(field_name="review_round_id")
    application = filters.ChoiceFilter(choices=Application.choices)
    date_from = DateFilter(field_name="survey__survey_date", lookup_expr="gte")
    date_to = DateFilter(field_name="survey__survey_date", lookup_expr="lte")

    class Meta:
        model = Assessment
        fields = [
            "household",
            "commune",
            "village",
            "standard",
            "standard_code",
            "classification",
            "state",
            "review_round",
            "application",
            "date_from",
            "date_to",
        ]


class OfficialStatusFilter(FilterSet):
    standard = filters.UUIDFilter(field_name="standard_id")

    class Meta:
        model = OfficialStatus
        fields = ["standard"]


class WhatIfChangeFilter(FilterSet):
    commune = filters.CharFilter(field_name="commune_id")
    from_class = filters.ChoiceFilter(choices=Classification.choices)
    to_class = filters.ChoiceFilter(choices=Classification.choices)

    class Meta:
        model = WhatIfChange
        fields = ["commune", "from_class", "to_class"]
