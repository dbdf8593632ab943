"""Filter sets copy their filters cheaply and share their form's fields (core.api.filters):
each request still filters by its own values, and one request's bad value is not another's."""

import pytest
from django.http import QueryDict
from django_filters.filters import FilterMethod

from households.filtersets import MemberFilter
from households.models import Member
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_each_filter_set_has_its_own_filters_bound_to_it():
    first = MemberFilter(QueryDict("q=hang"), queryset=Member.objects.all())
    second = MemberFilter(QueryDict("q=nam"), queryset=Member.objects.all())
    for filterset in (first, second):
        for name, filter_ in filterset.filters.items():
            assert filter_ is not MemberFilter.base_filters[name]
            assert filter_.parent is filterset
        # `q` filters by a method of the filter set: its own, not the class's or the other's
        assert isinstance(filterset.filters["q"].filter, FilterMethod)
        assert filterset.filters["q"].filter.f is filterset.filters["q"]
    assert first.filters["q"] is not second.filters["q"]
    assert all(getattr(f, "parent", None) is None for f in MemberFilter.base_filters.values())


def test_requests_in_a_row_filter_by_their_own_values(api, ward, rural):
    f.household(ward, members=[f.member("Đỗ Thị Thu Hằng", sex="female")])
    f.household(rural, members=[f.member("Trần Văn Nam")])

    def names(**params):
        r = api.get("/api/v1/members/", params)
        assert r.status_code == 200, r.json()
        return {m["full_name"] for m in r.json()["results"]}

    assert names(q="hang") == {"Đỗ Thị Thu Hằng"}
    assert names(q="nam") == {"Trần Văn Nam"}
    assert names(sex="female") == {"Đỗ Thị Thu Hằng"}
    assert names(commune=rural.code, sex="male") == {"Trần Văn Nam"}
    bad = api.get("/api/v1/members/", {"sex": "unknown"})
    assert bad.status_code == 400
    assert "sex" in str(bad.json())
    # the refused value stays with its request: the next one is answered on its own values
    assert names(sex="male") == {"Trần Văn Nam"}
    assert names() == {"Đỗ Thị Thu Hằng", "Trần Văn Nam"}
