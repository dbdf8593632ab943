"""Personal data: the one definition every masking path reads.

A role without `Perm.VIEW_PERSONAL` (the analyst) sees none of these fields anywhere: API
responses (config.api.serializers.PersonalDataMixin), household history, change-feed payloads,
complaints, exports and the admin all ask `personal_fields(model)` and blank what it names.

What counts (Law on Personal Data Protection 2025 / Decree 13/2023: identity, contact,
location, and financial situation are personal; a household's income is sensitive):
- who a person is: names, birth dates, citizen IDs, the Home Affairs registry's IDs;
- where and how to reach a household: address, phone, coordinates, its registry ID;
- a household's money: incomes as surveyed and as assessed, and the explanations that quote
  them; livelihood-model incomes before and after;
- what people said: complainants' names, complaint texts and their resolutions, workflow step
  notes, and field-app upload bodies and results (they carry all of the above).

Household codes, classifications, deprivations, birth years and support amounts stay visible:
they identify no one outside the register and are what reporting needs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db.models import Model

PERSONAL_FIELDS: dict[str, frozenset[str]] = {
    "households.household": frozenset({"address", "phone", "latitude", "longitude", "external_id"}),
    "households.member": frozenset({"full_name", "date_of_birth", "citizen_id", "external_id"}),
    "poverty.survey": frozenset(
        {
            "income_wages",
            "income_agriculture",
            "income_business",
            "income_allowances",
            "income_other",
            "annual_income",
            "submitted",
        }
    ),
    "poverty.assessment": frozenset(
        {"income_per_person_month", "explanation_vi", "explanation_en"}
    ),
    "poverty.assessmentstep": frozenset({"notes"}),
    "poverty.complaint": frozenset({"lodged_by", "text", "resolution"}),
    "poverty.fieldupload": frozenset({"body", "result"}),
    "support.participation": frozenset({"income_before", "income_after"}),
}


def label_of(model: type[Model] | Model | str) -> str:
    if isinstance(model, str):
        return model.lower()
    return model._meta.label_lower


def personal_fields(model: type[Model] | Model | str) -> frozenset[str]:
    """The fields of `model` (a model, instance or `app.model` label) that are personal."""
    label = label_of(model)
    if label.startswith(tuple(f"{app}.historical" for app in ("households", "poverty", "support"))):
        app, name = label.split(".")
        label = f"{app}.{name.removeprefix('historical')}"
    return PERSONAL_FIELDS.get(label, frozenset())


def mask(model: type[Model] | Model | str, row: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `row` with the personal fields of `model` blanked (None)."""
    hidden = personal_fields(model)
    return {k: (None if k in hidden else v) for k, v in row.items()}


# Whether the code running now may show personal data where it cannot ask a serializer's
# context: model __str__ in admin pages (titles, inline rows, history). Set per admin request
# by config.audit.ChannelMiddleware from the user's role; elsewhere (commands, shell) true.
_shown: ContextVar[bool] = ContextVar("personal_shown", default=True)


def shown() -> bool:
    return _shown.get()


@contextmanager
def showing(flag: bool) -> Iterator[None]:
    token = _shown.set(flag)
    try:
        yield
    finally:
        _shown.reset(token)
