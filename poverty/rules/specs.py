"""What the engine reads (a standard and its indicators) and returns (an assessment), and the
engine versions: ENGINE_VERSION is stored with each result so old decisions can be reproduced."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .checks import Check
from .indicators import RULES
from .legacy import _legacy_params
from .params import compile_params

ENGINE_VERSION = "2.0.0"
LEGACY_ENGINE = "1.0.0"  # fixed working-age window; an unrecorded fact counted as before


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    dimension: str
    name_vi: str
    name_en: str
    rule: str  # a key of RULES
    params: Mapping[str, Any] = field(default_factory=dict)

    @functools.cached_property
    def check(self) -> Check:
        """The rule compiled with these params, strictly (once per spec)."""
        return RULES[self.rule](compile_params(self.rule, self.params), False)

    @functools.cached_property
    def legacy_check(self) -> Check:
        """The rule as engine 1.0.0 applied it (to reproduce its decisions)."""
        return RULES[self.rule](_legacy_params(self.rule, self.params), True)

    def compiled(self, engine: str = ENGINE_VERSION) -> Check:
        return self.legacy_check if engine == LEGACY_ENGINE else self.check


@dataclass(frozen=True)
class StandardSpec:
    code: str
    rural_line: int  # VND per person per month; poor and near-poor share the line
    urban_line: int
    rural_average_max: int | None  # top of the average-living-standard band (None: no band)
    urban_average_max: int | None
    min_deprivations: int  # poor when income <= line and deprivations >= this
    indicators: tuple[IndicatorSpec, ...]
    # The law sets a band whose figures are not known yet (the tops are None): above the
    # line the class is not poor, and the explanation says the band cannot be told yet.
    average_band_unknown: bool = False


@dataclass(frozen=True)
class IndicatorResult:
    code: str
    deprived: bool | None  # None: a fact it needs was not recorded
    reason_vi: str
    reason_en: str


@dataclass(frozen=True)
class AssessmentResult:
    standard_code: str
    engine_version: str
    household_size: int
    income_per_person_month: int  # floor of annual income / 12 / members
    line: int  # the income line applied (urban or rural)
    is_urban: bool
    deprivation_count: int  # indicators known to be deprived
    unknown: tuple[str, ...]  # indicators that could not be assessed (facts missing)
    classification: str  # poor | near_poor | average | not_poor | undetermined
    indicators: tuple[IndicatorResult, ...]
    explanation_vi: str
    explanation_en: str
