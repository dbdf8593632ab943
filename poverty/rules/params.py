"""Parameters. Every value a rule reads is a parameter of the standard's indicator, stored with
the standard: a change of the law is a new revision, not a change of code. The defaults are
the Decree 07/2021 values; the shipped standards (poverty.seed) are built
from them, with each parameter's source and whether it still has to be confirmed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .codes import CODES
from .retirement import RETIREMENT_SCHEDULE

_D07 = "Nghị định 07/2021/NĐ-CP, Phụ lục (chỉ số đo lường mức độ thiếu hụt)"
_D07_VERIFY = _D07 + " — wording from secondary sources: to confirm"
_LABOUR = (
    "Bộ luật Lao động 2019, Điều 169; Nghị định 135/2020/NĐ-CP, Điều 4 và Phụ lục I: men 60 "
    "years 3 months in 2021, +3 months a year to 62 (2028); women 55 years 4 months in 2021, "
    "+4 months a year to 60 (2035); reached in the month the age falls (checked against the "
    "appendix's published table by tests)"
)


@dataclass(frozen=True)
class Param:
    """One parameter a rule reads: kind (`int`, `share`, `number`, `codes` of a CODES kind,
    `retirement`), default (the Decree 07 value), legal source, and whether it is still to be
    confirmed against the text."""

    kind: str
    default: Any
    source: str
    to_confirm: bool = False
    codes: str | None = None  # for kind "codes": the CODES kind its values come from


def _codes(kind: str, values: Iterable[str], source: str, to_confirm: bool = True) -> Param:
    return Param("codes", tuple(sorted(values)), source, to_confirm, codes=kind)


PARAMETERS: dict[str, dict[str, Param]] = {
    "employment": {
        "min_age": Param("int", 15, _LABOUR),
        "retirement_age": Param("retirement", RETIREMENT_SCHEDULE, _LABOUR),
        "statuses": _codes("employment", ("unemployed", "wage_no_contract"), _D07_VERIFY),
    },
    "dependents": {
        "child_age": Param("int", 16, _D07_VERIFY, True),
        "max_share": Param("share", "1/2", _D07_VERIFY, True),
    },
    "nutrition": {
        "child_age": Param("int", 16, _D07_VERIFY, True),
        "statuses": _codes("nutrition", ("stunted", "underweight"), _D07_VERIFY),
    },
    "health_insurance": {"min_age": Param("int", 6, _D07_VERIFY, True)},
    "adult_education": {
        "min_age": Param("int", 16, _D07_VERIFY, True),
        "upper_age": Param("int", 18, _D07_VERIFY, True),
        "max_age": Param("int", 30, _D07_VERIFY, True),
        "lacking_below_upper_age": _codes("education_level", ("none", "primary"), _D07_VERIFY),
        "lacking_from_upper_age": _codes(
            "education_level", ("none", "primary", "lower_secondary"), _D07_VERIFY
        ),
    },
    "child_schooling": {
        "min_age": Param("int", 3, _D07_VERIFY, True),
        "max_age": Param("int", 16, _D07_VERIFY, True),
    },
    "housing_quality": {
        "non_durable_materials": _codes(
            "material",
            ("bamboo", "leaves_straw", "mud", "other", "tarpaulin", "timber"),
            _D07 + "; which materials are durable follows the Ministry of Construction's "
            "housing-quality guidance: to confirm",
        ),
        "min_non_durable_parts": Param("int", 2, _D07_VERIFY, True),
    },
    "housing_area": {"min_m2_per_person": Param("number", "8", _D07_VERIFY, True)},
    "domestic_water": {
        "safe_sources": _codes(
            "water_source",
            ("borehole", "bottled", "protected_spring", "protected_well", "rainwater", "tap"),
            _D07 + "; the list of safe sources: to confirm",
        ),
    },
    "latrine": {
        "hygienic": _codes(
            "latrine",
            ("biogas", "double_vault", "pour_flush", "semi_septic", "septic", "ventilated_pit"),
            _D07 + "; hygienic types after the Ministry of Health's latrine regulation "
            "(QCVN 01:2021/BYT), biogas included: to confirm",
        ),
    },
    "telecom": {},
    "info_devices": {
        "devices": _codes(
            "device",
            ("computer", "loudspeaker", "radio", "smartphone", "tablet", "tv"),
            _D07 + "; the list of devices: to confirm",
        ),
    },
    "waste": {
        "acceptable": _codes(
            "waste_treatment",
            ("buried", "collected", "composted_sorted"),
            "Drafts of Nghị định 351/2025/NĐ-CP (waste treatment under a widened water, "
            "sanitation and environment dimension): to confirm against the final text",
        ),
    },
}


def default_params(rule: str) -> dict[str, Any]:
    """The rule's parameters with their default values, as stored with a standard (JSON)."""
    return {
        name: list(p.default) if p.kind == "codes" else json.loads(json.dumps(p.default))
        for name, p in PARAMETERS[rule].items()
    }


def parameter_catalogue() -> list[dict[str, Any]]:
    """The rules an indicator can use, and every parameter each reads: its kind, its default
    (as stored with a standard), the codes it may list, its legal source, and whether that is
    still to be confirmed against the text."""
    return [
        {
            "rule": rule,
            "parameters": [
                {
                    "name": name,
                    "kind": p.kind,
                    "default": default_params(rule)[name],
                    "codes": sorted(CODES[p.codes]) if p.codes else None,
                    "source": p.source,
                    "to_confirm": p.to_confirm,
                }
                for name, p in parameters.items()
            ],
        }
        for rule, parameters in PARAMETERS.items()
    ]


def param_sources(rule: str) -> dict[str, dict[str, Any]]:
    """Each parameter's source and whether it is to be confirmed, as stored with a standard."""
    return {
        name: {"source": p.source, "to_confirm": p.to_confirm}
        for name, p in PARAMETERS[rule].items()
    }


def _(text: str) -> str:
    """Marks an English text for translation (makemessages reads `_`); this module stays pure,
    the service that shows a ParamError translates it (`ParamError.render`)."""
    return text


class ParamError(ValueError):
    """A parameter a rule cannot evaluate with: its name and why. `reason` is the English
    text; `render(gettext)` the text in the active language."""

    def __init__(self, name: str, template: str, values: Mapping[str, object] | None = None):
        self.name, self.template, self.values = name, template, dict(values or {})
        self.reason = self.render(lambda text: text)
        super().__init__(f"{name}: {self.reason}")

    def render(self, translate: Callable[[str], str]) -> str:
        return translate(self.template) % self.values


def _read(value: Any, name: str, p: Param) -> Any:
    if p.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ParamError(name, _("a whole number, 0 or more, is required"))
        return value
    if p.kind in ("number", "share"):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ParamError(name, _('a number is required (e.g. 8, "8.5" or "1/2")'))
        try:
            number = Fraction(str(value))
        except (ValueError, ZeroDivisionError):
            raise ParamError(name, _("%(value)s is not a number"), {"value": repr(value)}) from None
        if number <= 0 or (p.kind == "share" and number >= 1):
            raise ParamError(
                name,
                _("must be more than 0 and less than 1")
                if p.kind == "share"
                else _("must be more than 0"),
            )
        return number
    if p.kind == "codes":
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise ParamError(name, _("a list of %(kind)s codes is required"), {"kind": p.codes})
        unknown = sorted({v for v in value if v not in CODES[p.codes or ""]}, key=str)
        if unknown:
            raise ParamError(
                name,
                _("not %(kind)s codes: %(codes)s"),
                {"kind": p.codes, "codes": ", ".join(map(str, unknown))},
            )
        return frozenset(value)
    if p.kind == "retirement":
        return _read_schedule(value, name)
    raise ParamError(name, _("unknown parameter kind %(kind)s"), {"kind": p.kind})


_SCHEDULE_KEYS = ("from_year", "start", "step", "until", "before")


def _read_schedule(value: Any, name: str) -> dict[str, tuple[int, ...]]:
    if not isinstance(value, Mapping) or set(value) != {"male", "female"}:
        raise ParamError(name, _("a schedule for `male` and `female` is required"))
    schedule = {}
    for sex, row in value.items():
        if not isinstance(row, Mapping) or set(row) != set(_SCHEDULE_KEYS):
            raise ParamError(
                f"{name}.{sex}", _("needs exactly %(keys)s"), {"keys": ", ".join(_SCHEDULE_KEYS)}
            )
        numbers = [row[k] for k in _SCHEDULE_KEYS]
        if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in numbers):
            raise ParamError(f"{name}.{sex}", _("whole numbers (ages in months) are required"))
        _from_year, start, step, until, before = numbers
        if not before <= start <= until or step < 0 or step >= 12:
            raise ParamError(f"{name}.{sex}", _("before ≤ start ≤ until, and 0 ≤ step < 12"))
        schedule[sex] = tuple(numbers)
    return schedule


def compile_params(rule: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The rule's parameters read strictly: every one present, of its kind, nothing unknown.
    Raises ParamError naming the first parameter at fault."""
    if rule not in PARAMETERS:
        raise ParamError("rule", _("unknown rule %(rule)s"), {"rule": repr(rule)})
    if not isinstance(params, Mapping):
        raise ParamError("params", _("an object of parameters is required"))
    definitions = PARAMETERS[rule]
    for name in params:
        if name not in definitions:
            if not definitions:
                raise ParamError(
                    name, _("not a parameter of %(rule)s (it has none)"), {"rule": rule}
                )
            raise ParamError(
                name,
                _("not a parameter of %(rule)s (its parameters: %(known)s)"),
                {"rule": rule, "known": ", ".join(definitions)},
            )
    read = {}
    for name, p in definitions.items():
        if name not in params:
            raise ParamError(name, _("missing"))
        read[name] = _read(params[name], name, p)
    return read
