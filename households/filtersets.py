import django_filters as filters
from django import forms
from django.db.models import Exists, OuterRef

from core.access import Perm, access_for
from core.api.filters import BooleanFilter, FilterSet, IsoDateTimeFilter

from .choices import (
    DuplicateReason,
    DuplicateStatus,
    HouseholdStatus,
    MemberStatus,
    Relationship,
    Sex,
)
from .models import DuplicateCandidate, Household, Member
from .search import MAX_QUERY_CHARS, MAX_QUERY_WORDS, query_problem
from .services import household_queryset_search, member_queryset_search

QUERY_LIMITS = (
    f"At most {MAX_QUERY_CHARS} characters and {MAX_QUERY_WORDS} words (more: 400 naming `q`)."
)


def _searchable(text: str) -> None:
    """A search within households.search's limits (a 400 naming `q`, and an export's
    `filters.q`, before anything is searched or queued)."""
    if problem := query_problem(text):
        raise forms.ValidationError(problem, code="query_too_long")


def _may_search_personal(request) -> bool:
    return access_for(request.user).can(Perm.VIEW_PERSONAL)


class SearchFilterSet(FilterSet):
    """Applies the search `q` after every other filter: its ranked queryset is handed to the
    paginator as it is, which reads the page from it tier by tier (households.search)."""

    def filter_queryset(self, queryset):
        for name, value in sorted(self.form.cleaned_data.items(), key=lambda item: item[0] == "q"):
            queryset = self.filters[name].filter(queryset, value)
        return queryset


class HouseholdFilter(SearchFilterSet):
    commune = filters.CharFilter(field_name="commune_id", help_text="Commune code (5 digits).")
    province = filters.CharFilter(field_name="commune__province_id")
    village = filters.UUIDFilter(field_name="village_id")
    is_urban = BooleanFilter(field_name="commune__is_urban")
    ethnicity = filters.CharFilter(
        method="filter_ethnicity", help_text="Households with a present member of this group."
    )
    status = filters.MultipleChoiceFilter(choices=HouseholdStatus.choices)
    external_id = filters.CharFilter(
        method="filter_external_id",
        help_text="The Home Affairs registry's household ID, whole. Personal data: without "
        "personal-data rights no household matches.",
    )
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    q = filters.CharFilter(
        method="filter_q",
        validators=[_searchable],
        help_text=(
            "Search, diacritic-insensitive (`dang thi hoa` finds `Đặng Thị Hoà`). A household "
            "matches when every word of the query starts a word of ONE member's name (`hoa` "
            "finds `Hoà`, not `Khoa`), or of its address; when its code starts with the query; "
            "or when the query is a member's whole citizen ID (12 digits; 9 for an old ID card) "
            "or the household's whole phone number. Results are ranked, then ordered by code: "
            "(0) a member's full name is the query, or the citizen ID or phone number is; (1) a "
            "member's name starts with the query; (2) the words start words of one member's "
            "name; (3) the address or the code matches. The cursor pages through that order. "
            "Without personal-data rights: household codes starting with the query, in code "
            f"order. {QUERY_LIMITS}"
        ),
    )

    class Meta:
        model = Household
        fields = [
            "commune",
            "province",
            "village",
            "is_urban",
            "ethnicity",
            "status",
            "external_id",
            "updated_since",
            "q",
        ]

    def filter_ethnicity(self, queryset, name, value):
        return queryset.filter(
            Exists(
                Member.objects.filter(
                    household=OuterRef("pk"), ethnicity_id=value, status=MemberStatus.PRESENT
                )
            )
        )

    def filter_external_id(self, queryset, name, value):
        # A registry ID is personal (Household.PERSONAL_FIELDS): finding a household by it
        # tells who holds it, so only to those who may read it.
        if not _may_search_personal(self.request):
            return queryset.none()
        return queryset.filter(external_id=value)

    def filter_q(self, queryset, name, value):
        if not _may_search_personal(self.request):
            return queryset.filter(code__startswith=value.strip())
        return household_queryset_search(queryset, value)


class MemberFilter(SearchFilterSet):
    household = filters.UUIDFilter(field_name="household_id")
    commune = filters.CharFilter(field_name="household__commune_id")
    village = filters.UUIDFilter(field_name="household__village_id")
    is_urban = BooleanFilter(field_name="household__commune__is_urban")
    ethnicity = filters.CharFilter(field_name="ethnicity_id")
    sex = filters.ChoiceFilter(choices=Sex.choices)
    relationship = filters.ChoiceFilter(choices=Relationship.choices)
    status = filters.MultipleChoiceFilter(choices=MemberStatus.choices)
    household_status = filters.MultipleChoiceFilter(
        field_name="household__status", choices=HouseholdStatus.choices
    )
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    q = filters.CharFilter(
        method="filter_q",
        validators=[_searchable],
        help_text=(
            "Search, diacritic-insensitive. A member matches when every word of the query starts "
            "a word of their name (`hoa` finds `Hoà`, not `Khoa`), when the query is their whole "
            "citizen ID (12 digits; 9 for an old ID card), or when their household matches by "
            "address, code (its start) or whole phone number. Ranked as on the household list "
            "((0) full name, citizen ID or phone; (1) name starts with the query; (2) words of "
            "the name; (3) address or code), then by household code, then member id; the cursor "
            "pages through that order. Needs personal-data rights (without them: no members). "
            f"{QUERY_LIMITS}"
        ),
    )

    class Meta:
        model = Member
        fields = [
            "household",
            "commune",
            "village",
            "is_urban",
            "ethnicity",
            "sex",
            "relationship",
            "status",
            "household_status",
            "updated_since",
            "q",
        ]

    def filter_q(self, queryset, name, value):
        if not _may_search_personal(self.request):
            return queryset.none()
        return member_queryset_search(queryset, value)


class DuplicateFilter(FilterSet):
    commune = filters.CharFilter(field_name="commune_id")
    status = filters.MultipleChoiceFilter(choices=DuplicateStatus.choices)
    reason = filters.ChoiceFilter(choices=DuplicateReason.choices)
    household = filters.UUIDFilter(method="filter_household")

    class Meta:
        model = DuplicateCandidate
        fields = ["commune", "status", "reason", "household"]

    def filter_household(self, queryset, name, value):
        return queryset.filter(member_a__household_id=value) | queryset.filter(
            member_b__household_id=value
        )
