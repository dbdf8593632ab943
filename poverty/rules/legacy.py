"""Engine 1.0.0, kept to reproduce the decisions it took: the parameters it read by default and
how it read the facts (`assess(..., engine=LEGACY_ENGINE)`). Its values are that version's, not
a second copy of PARAMETERS: they differ where the law's reading changed."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from .codes import NOT_RECORDED
from .facts import HouseholdFacts

# What version 1.0.0 read when a parameter was not stored (its defaults, kept to reproduce the
# decisions it took: shipped standards then stored only the numbers).
LEGACY_DEFAULTS: dict[str, dict[str, Any]] = {
    "employment": {
        "min_age": 15,
        "max_age_male": 61,
        "max_age_female": 56,
        "statuses": ("unemployed", "wage_no_contract"),
    },
    "dependents": {"child_age": 16, "max_share": 0.5},
    "nutrition": {"child_age": 16, "statuses": ("stunted", "underweight")},
    "health_insurance": {"min_age": 6},
    "adult_education": {
        "min_age": 16,
        "upper_age": 18,
        "max_age": 30,
        "lacking_below_upper_age": ("none", "primary"),
        "lacking_from_upper_age": ("lower_secondary", "none", "primary"),
    },
    "child_schooling": {"min_age": 3, "max_age": 16},
    "housing_quality": {
        "non_durable_materials": ("bamboo", "leaves_straw", "mud", "other", "tarpaulin", "timber"),
        "min_non_durable_parts": 2,
    },
    "housing_area": {"min_m2_per_person": 8},
    "domestic_water": {
        "safe_sources": (
            "borehole",
            "bottled",
            "protected_spring",
            "protected_well",
            "rainwater",
            "tap",
        ),
    },
    "latrine": {
        "hygienic": ("double_vault", "pour_flush", "semi_septic", "septic", "ventilated_pit"),
    },
    "telecom": {},
    "info_devices": {
        "devices": ("computer", "loudspeaker", "radio", "smartphone", "tablet", "tv"),
    },
    "waste": {"acceptable": ("buried", "collected", "composted_sorted")},
}


def _legacy_params(rule: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Version 1.0.0's reading: what is stored, else its default; lists as sets, numbers as
    numbers (no checks: it reproduces decisions already taken)."""
    merged = {
        **LEGACY_DEFAULTS[rule],
        **{k: v for k, v in params.items() if k in LEGACY_DEFAULTS[rule]},
    }
    out: dict[str, Any] = {}
    for name, value in merged.items():
        if isinstance(value, (list, tuple)):
            out[name] = frozenset(value)
        elif isinstance(value, str) and name not in ("max_share",):
            out[name] = frozenset((value,))
        elif name in ("max_share", "min_m2_per_person"):
            out[name] = Fraction(str(value))
        else:
            out[name] = int(value)
    return out


def _legacy_facts(facts: HouseholdFacts) -> HouseholdFacts:
    """Facts as engine 1.0.0 read them: a schooling not recorded was "not attending" (a child
    deprived, a young adult out of school), a nutrition status not recorded was normal, a
    waste treatment not recorded was deprived; its other facts always had a value."""
    members = tuple(
        m._replace(
            schooling=m.schooling or "not_attending",
            nutrition=m.nutrition or "normal",
            has_health_insurance=True if m.has_health_insurance is None else m.has_health_insurance,
            education_level=m.education_level or "none",
            employment=m.employment or "not_in_labour_force",
            receives_social_allowance=bool(m.receives_social_allowance),
        )
        for m in facts.members
    )
    return facts._replace(
        members=members,
        devices=facts.devices or frozenset(),
        waste_treatment=facts.waste_treatment or NOT_RECORDED,
    )
