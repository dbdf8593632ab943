import re
from datetime import date
from io import StringIO
from random import Random
from uuid import UUID

import pytest
from django.core.management import call_command
from django.db.models import Count, Q, Sum

from core.text import fold
from demo import households as demo
from geo.models import Commune, EthnicGroup, Village
from households import services
from households.choices import MemberStatus, Relationship
from households.identity import citizen_id_errors
from households.models import Household, Member
from tests import factories

pytestmark = pytest.mark.django_db

SIZE = 300


def generate(households: int = SIZE, seed: int = 7) -> str:
    out = StringIO()
    call_command("generate_demo_data", households=households, seed=seed, stdout=out)
    return out.getvalue()


@pytest.fixture
def register(db) -> str:
    return generate()


def test_counts(register):
    members = Member.objects.count()
    assert Household.objects.count() == SIZE
    assert 3.2 * SIZE <= members <= 4.2 * SIZE  # about 3.7 per household
    assert f"Added {SIZE:,} households and {members:,} members" in register
    sizes = Household.objects.annotate(n=Count("members")).values_list("n", flat=True)
    assert min(sizes) >= 1 and max(sizes) <= 7


def test_every_household_has_exactly_one_present_head(register):
    heads = Count(
        "members",
        filter=Q(members__relationship=Relationship.HEAD, members__status=MemberStatus.PRESENT),
    )
    counts = set(Household.objects.annotate(heads=heads).values_list("heads", flat=True))
    assert counts == {1}


def test_families_are_plausible(register):
    head_born = dict(
        Member.objects.filter(relationship=Relationship.HEAD).values_list(
            "household_id", "date_of_birth"
        )
    )
    today = date.today()
    assert all(today.year - born.year >= 18 for born in head_born.values())
    for household_id, born in Member.objects.filter(relationship=Relationship.CHILD).values_list(
        "household_id", "date_of_birth"
    ):
        assert born.year - head_born[household_id].year >= 17
    spouses = Member.objects.filter(relationship=Relationship.SPOUSE).select_related("household")
    for spouse in spouses[:50]:
        head = spouse.household.members.get(relationship=Relationship.HEAD)
        assert head.sex != spouse.sex
    assert Member.objects.filter(full_name__regex=r"[ăâđêôơưạảãáàẹẻẽéèịọộờợụủứừựỳ]").exists()


def test_citizen_ids_are_valid_and_consistent(register):
    rows = list(Member.objects.values_list("citizen_id", "sex", "date_of_birth"))
    with_id = [r for r in rows if r[0]]
    for citizen_id, sex, born in with_id:
        assert citizen_id_errors(citizen_id, sex=sex, date_of_birth=born) == []
    adults = [r for r in rows if date.today().year - r[2].year >= 15]
    assert sum(1 for r in adults if r[0]) >= 0.85 * len(adults)
    assert len({r[0] for r in with_id}) == len(with_id)


def test_minority_share_is_higher_in_rural_communes(register):
    def share(**filters) -> float:
        members = Member.objects.filter(**filters)
        return members.exclude(ethnicity_id="01").count() / members.count()

    assert 0.05 <= share() <= 0.25
    assert share(household__commune__is_urban=False) > share(household__commune__is_urban=True)


def test_codes_follow_the_commune_counters(register):
    per_commune = dict(
        Household.objects.values_list("commune_id")
        .annotate(n=Count("id"))
        .values_list("commune_id", "n")
    )
    assert Commune.objects.filter(province_id="22").aggregate(s=Sum("household_seq"))["s"] == SIZE
    for commune in Commune.objects.filter(code__in=per_commune):
        assert commune.household_seq == per_commune[commune.code]
    for code, commune_id, village_commune in Household.objects.values_list(
        "code", "commune_id", "village__commune_id"
    ):
        assert re.fullmatch(rf"{commune_id}-\d{{6}}", code)
        assert village_commune == commune_id
    registry = Household.objects.filter(source="registry_sync")
    assert registry.exists() and not registry.filter(external_id=None).exists()


def test_derived_search_columns_match_the_services(register):
    for member in Member.objects.all()[:200]:
        assert member.name_folded == fold(member.full_name)
    for household in Household.objects.all()[:50]:
        stored = household.search_text
        services.refresh_search_text(household)
        assert household.search_text == stored


def test_search_finds_a_generated_member(register):
    members = Member.objects.exclude(citizen_id=None).select_related("household")
    member = members.order_by("citizen_id").last()
    found = services.household_queryset_search(Household.objects.all(), member.name_folded)
    assert member.household in found
    by_id = services.household_queryset_search(Household.objects.all(), member.citizen_id)
    assert list(by_id) == [member.household]


def test_running_again_adds_more(register, rural):
    existing = factories.household(rural)  # an ID issued outside the generator
    villages = Village.objects.count()
    seq = Commune.objects.get(pk=rural.pk).household_seq
    generate()
    generate(households=50)
    assert Household.objects.count() == 2 * SIZE + 50 + 1
    assert Village.objects.count() == villages
    assert Commune.objects.get(pk=rural.pk).household_seq >= seq
    ids = Member.objects.exclude(citizen_id=None).values_list("citizen_id", flat=True)
    assert len(set(ids)) == ids.count()
    assert existing.code in set(Household.objects.values_list("code", flat=True))


def test_same_seed_same_ids_in_time_order(ward):
    """The generator's ids are UUIDv7 drawn from its seed: reproducible and time-ordered."""
    villages, _ = demo.ensure_villages([ward], 2)
    (profile,) = demo.commune_profiles([ward], villages)
    codes = dict(
        EthnicGroup.objects.filter(name__in=[demo.KINH, *demo.MINORITY_GROUPS]).values_list(
            "name", "code"
        )
    )

    def ids(seed: int) -> list[str]:
        generator = demo.RegisterGenerator(Random(seed), codes, date(2026, 11, 28))
        return [h[0] for h, _ in generator.households(profile, 1, 20)]

    first = ids(3)
    assert first == ids(3) and first != ids(4)
    assert first == sorted(first) and len(set(first)) == 20
    assert {UUID(i).version for i in first} == {7}
