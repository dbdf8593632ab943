import django_filters as filters
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.api.filters import BooleanFilter, FilterSet, IntegerFilter

from .choices import CaseState
from .models import Case, FollowUp
from .selectors import overdue_q


def _overdue_cases(queryset, name, value):
    late = FollowUp.objects.filter(overdue_q(timezone.localdate()), case=OuterRef("pk"))
    return queryset.filter(Exists(late) if value else ~Exists(late))


def _overdue_follow_ups(queryset, name, value):
    q = overdue_q(timezone.localdate())
    return queryset.filter(q) if value else queryset.exclude(q)


def _cadre(**kwargs):
    return IntegerFilter(field_name="cadre_id", min_value=1, max_value=2**31 - 1, **kwargs)


class CaseFilter(FilterSet):
    state = filters.MultipleChoiceFilter(choices=CaseState.choices)
    commune = filters.CharFilter(field_name="household__commune_id")
    village = filters.UUIDFilter(field_name="household__village_id")
    cadre = _cadre(help_text="The cadre's user id.")
    household = filters.UUIDFilter(field_name="household_id")
    standard = filters.CharFilter(field_name="standard__code", help_text="A standard's code.")
    overdue = BooleanFilter(
        method=_overdue_cases,
        help_text="true: cases with a follow-up scheduled before today and not done.",
    )

    class Meta:
        model = Case
        fields = ["state", "commune", "village", "cadre", "household", "standard", "overdue"]


class FollowUpFilter(FilterSet):
    case = filters.UUIDFilter(field_name="case_id")
    cadre = _cadre(help_text="The cadre's user id.")
    commune = filters.CharFilter(field_name="case__household__commune_id")
    village = filters.UUIDFilter(field_name="case__household__village_id")
    done = BooleanFilter(field_name="done_on", lookup_expr="isnull", exclude=True)
    overdue = BooleanFilter(
        method=_overdue_follow_ups, help_text="true: scheduled before today and not done."
    )

    class Meta:
        model = FollowUp
        fields = ["case", "cadre", "commune", "village", "done", "overdue"]
