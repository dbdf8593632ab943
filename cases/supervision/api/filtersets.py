import django_filters as filters

from cases.models import Finding
from core.api.filters import FilterSet

from ..choices import FindingRule, FindingStatus


class FindingFilter(FilterSet):
    rule = filters.MultipleChoiceFilter(choices=FindingRule.choices)
    status = filters.MultipleChoiceFilter(choices=FindingStatus.choices)
    commune = filters.CharFilter(field_name="commune_id")

    class Meta:
        model = Finding
        fields = ["rule", "status", "commune", "period"]
