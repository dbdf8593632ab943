"""The assessment engine: pure functions from survey facts and one standard to a decision.

No Django imports. Immutable facts in, immutable results out. Every decision carries its reason in
Vietnamese and English so it can be explained to the household and the village meeting, and
ENGINE_VERSION is stored with each result so old decisions can be reproduced (`assess(...,
engine=LEGACY_ENGINE)` applies the rules as version 1.0.0 did).

What this package holds, each in one place (callers import from `poverty.rules`):
- `codes`: the survey's answer codes with their Vietnamese and English names (`CODES`;
  poverty.choices is built from them);
- `params`: every parameter each rule reads, with its type, default, legal source and whether
  it is still to be confirmed against the text (`PARAMETERS`: the one source of thresholds;
  the shipped standards are built from it, and `compile_params` refuses a standard that would
  not evaluate); `retirement`: the retirement schedule that ends working age;
- `facts`: what a survey says of a household and its members; `specs`: the standard as the
  engine reads it, and the result it returns;
- `checks` and `indicators`: the 13 rules, three-valued: a fact the survey did not record makes
  an indicator *unknown* (never a deprivation), and a household whose class depends on it is
  *undetermined* (to be surveyed again), not classified;
- `classification`: the class from income and deprivations, and its explanation;
- `assessment`: `assess`, `needed_facts` and bulk classification;
- `legacy`: engine 1.0.0's defaults and reading of facts, to reproduce its decisions.
"""

from .assessment import BulkPlan, assess, bulk_plan, classify_bulk, needed_facts
from .checks import Check, Reasons
from .classification import (
    AVERAGE,
    NEAR_POOR,
    NOT_POOR,
    POOR,
    UNDETERMINED,
    classify,
    format_vnd,
    within_line,
)
from .codes import CODES, en, vi
from .facts import HouseholdFacts, MemberFacts, month_index, years_months
from .indicators import (
    RULES,
    RuleFn,
    adult_education,
    child_schooling,
    dependents,
    domestic_water,
    employment,
    health_insurance,
    housing_area,
    housing_quality,
    info_devices,
    latrine,
    nutrition,
    telecom,
    waste,
)
from .legacy import LEGACY_DEFAULTS
from .params import (
    PARAMETERS,
    Param,
    ParamError,
    compile_params,
    default_params,
    param_sources,
    parameter_catalogue,
)
from .retirement import RETIREMENT_SCHEDULE, retirement_age
from .specs import (
    ENGINE_VERSION,
    LEGACY_ENGINE,
    AssessmentResult,
    IndicatorResult,
    IndicatorSpec,
    StandardSpec,
)

__all__ = [
    "AVERAGE",
    "CODES",
    "ENGINE_VERSION",
    "LEGACY_DEFAULTS",
    "LEGACY_ENGINE",
    "NEAR_POOR",
    "NOT_POOR",
    "PARAMETERS",
    "POOR",
    "RETIREMENT_SCHEDULE",
    "RULES",
    "UNDETERMINED",
    "AssessmentResult",
    "BulkPlan",
    "Check",
    "HouseholdFacts",
    "IndicatorResult",
    "IndicatorSpec",
    "MemberFacts",
    "Param",
    "ParamError",
    "Reasons",
    "RuleFn",
    "StandardSpec",
    "adult_education",
    "assess",
    "bulk_plan",
    "child_schooling",
    "classify",
    "classify_bulk",
    "compile_params",
    "default_params",
    "dependents",
    "domestic_water",
    "employment",
    "en",
    "format_vnd",
    "health_insurance",
    "housing_area",
    "housing_quality",
    "info_devices",
    "latrine",
    "month_index",
    "needed_facts",
    "nutrition",
    "param_sources",
    "parameter_catalogue",
    "retirement_age",
    "telecom",
    "vi",
    "waste",
    "within_line",
    "years_months",
]
