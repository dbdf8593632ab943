"""Bulk classification (what-if) gives exactly the classes `assess` gives."""

from random import Random

from poverty import rules
from poverty.choices import Device, Employment, Latrine, Material, Schooling, WaterSource
from poverty.seed import STANDARDS


def spec(code: str) -> rules.StandardSpec:
    s = next(s for s in STANDARDS if s["code"] == code)
    return rules.StandardSpec(
        code=code,
        rural_line=s["rural_line"],
        urban_line=s["urban_line"],
        rural_average_max=s["rural_average_max"],
        urban_average_max=s["urban_average_max"],
        min_deprivations=s["min_deprivations"],
        indicators=tuple(
            rules.IndicatorSpec(
                i["code"], i["dimension"], i["name_vi"], i["name_en"], i["rule"], i["params"]
            )
            for i in s["indicators"]
        ),
    )


def random_member(rng: Random) -> rules.MemberFacts:
    """A member with any facts, some not recorded (None), surveyed in a month of 2021–2035."""
    survey = rules.month_index(rng.randint(2021, 2035), rng.randint(1, 12))
    months = rng.randint(0, 90 * 12)

    def maybe(value):
        return None if rng.random() < 0.05 else value

    return rules.MemberFacts(
        age=months // 12,
        sex=rng.choice(["male", "female"]),
        has_health_insurance=maybe(rng.random() < 0.8),
        schooling=rng.choice([None, *Schooling.values]),
        education_level=maybe(
            rng.choice(["none", "primary", "lower_secondary", "upper_secondary", "vocational"])
        ),
        employment=maybe(rng.choice(Employment.values)),
        receives_social_allowance=maybe(rng.random() < 0.1),
        nutrition=rng.choice([None, "normal", "stunted"]),
        birth_month=survey - months,
        survey_month=survey,
    )


def random_facts(rng: Random) -> rules.HouseholdFacts:
    members = tuple(random_member(rng) for _ in range(rng.randint(1, 7)))
    return rules.HouseholdFacts(
        is_urban=rng.random() < 0.5,
        annual_income=rng.randint(0, 60_000_000) * len(members),
        members=members,
        wall_material=rng.choice(Material.values),
        frame_material=rng.choice(Material.values),
        roof_material=rng.choice(Material.values),
        floor_area_m2=round(rng.uniform(5, 120), 2),
        water_source=rng.choice(WaterSource.values),
        latrine=rng.choice(Latrine.values),
        uses_internet=rng.random() < 0.7,
        devices=None
        if rng.random() < 0.05
        else frozenset(rng.sample(Device.values, rng.randint(0, 2))),
        waste_treatment=rng.choice([None, "collected", "burned"]),
    )


def test_bulk_classes_equal_assess_classes():
    standards = [spec("VN-ND07-2021"), spec("VN-ND351-2025"), spec("QN-NQ13-2023")]
    plan = rules.bulk_plan(standards)
    assert len(plan.unique) == 13  # 07 and 351 share 11 indicators; QN reuses 07's
    rng = Random(7)
    seen = set()
    for _ in range(3000):
        facts = random_facts(rng)
        expected = tuple(rules.assess(facts, s).classification for s in standards)
        assert rules.classify_bulk(plan, facts) == expected
        seen.update(expected)
    assert seen == {"poor", "near_poor", "average", "not_poor", "undetermined"}


def test_fast_decisions_equal_explained_decisions():
    """Each indicator's fast decision (what-if) is the decision its reasons give (assess)."""
    plan = rules.bulk_plan([spec("VN-ND07-2021"), spec("VN-ND351-2025"), spec("QN-NQ13-2023")])
    rng = Random(11)
    outcomes = set()
    for _ in range(2000):
        facts = random_facts(rng)
        for indicator in plan.unique:
            decided = indicator.check.deprived(facts)
            assert decided is indicator.check.reasons(facts)[0], (indicator.code, facts)
            outcomes.add((indicator.code, decided))
    codes = {i.code for i in plan.unique}
    assert {(c, v) for c in codes for v in (True, False)} <= outcomes  # every one both ways
    unknown = {c for c, v in outcomes if v is None}  # and unknown where a fact can be missing
    assert unknown >= {
        "employment",
        "nutrition",
        "health_insurance",
        "adult_education",
        "child_schooling",
        "info_devices",
        "waste",
    }
