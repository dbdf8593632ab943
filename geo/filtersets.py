import django_filters as filters

from core.api.filters import BooleanFilter, FilterSet, IsoDateTimeFilter
from core.text import fold

from .choices import UnitKind
from .models import Commune, Village


class CommuneFilter(FilterSet):
    province = filters.CharFilter(field_name="province_id")
    kind = filters.ChoiceFilter(choices=UnitKind.choices)
    is_urban = BooleanFilter()
    # no longer than a name (Commune.name): a longer query matches nothing, and each request
    # compares it with every commune's name in Python
    q = filters.CharFilter(method="filter_q", label="Name, diacritics optional", max_length=100)

    class Meta:
        model = Commune
        fields = ["province", "kind", "is_urban", "q"]

    def filter_q(self, queryset, name, value):
        query = fold(value)
        matches = [c.code for c in queryset.only("code", "name") if query in fold(c.name)]
        return queryset.filter(code__in=matches)


class VillageFilter(FilterSet):
    commune = filters.CharFilter(field_name="commune_id")
    updated_since = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Village
        fields = ["commune", "kind", "updated_since"]
