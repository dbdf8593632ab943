"""`core.lookups.InValues`: the same rows as Django's `__in`, on PostgreSQL and SQLite, with the
values sent as one parameter."""

import pytest
from django.db.models import F

from core.lookups import InValues
from households.models import Household, Member
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def households(ward):
    names = ['Lò Văn "Sáng"', "Vi Thị, Hoa", "Đinh Văn \\ Bảo", "Hà {Thị} An"]
    return [f.household(ward, members=[f.member(name)]) for name in names]


def test_same_rows_as_in_for_ids_and_foreign_keys(households):
    wanted = [households[0].pk, households[2].pk]
    by_id = Household.objects.filter(InValues(F("id"), wanted))
    assert sorted(h.pk for h in by_id) == sorted(wanted)
    by_fk = Member.objects.filter(InValues(F("household"), wanted))
    assert sorted(m.household_id for m in by_fk) == sorted(wanted)
    assert set(by_fk) == set(Member.objects.filter(household__in=wanted))


def test_text_with_quotes_commas_backslashes_and_braces_matches_exactly(households):
    names = ['Lò Văn "Sáng"', "Vi Thị, Hoa", "Đinh Văn \\ Bảo", "Hà {Thị} An"]
    found = Member.objects.filter(InValues(F("full_name"), names))
    assert sorted(m.full_name for m in found) == sorted(names)
    # a part of a value is not the value
    assert not Member.objects.filter(InValues(F("full_name"), ["Vi Thị", "Hoa"])).exists()


def test_no_values_and_nulls_match_nothing(households):
    assert not Household.objects.filter(InValues(F("id"), [])).exists()
    assert not Household.objects.filter(InValues(F("village"), [None])).exists()


def test_the_values_go_as_one_parameter(households):
    ids = [h.pk for h in households]
    sql, params = Household.objects.filter(InValues(F("id"), ids)).query.sql_with_params()
    assert len(params) == 1
    assert sql == Household.objects.filter(InValues(F("id"), ids[:1])).query.sql_with_params()[0]
