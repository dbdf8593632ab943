"""Personal data: the one rule every masking path reads.

Each model names its personal fields next to its columns, as `PERSONAL_FIELDS`.

A role without `Perm.VIEW_PERSONAL` (the analyst) sees none of these fields anywhere: API
responses (core.api.serializers.PersonalDataMixin), household history, change-feed payloads,
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

from django.apps import apps
from django.db.models import Model


def personal_fields(model: type[Model] | Model | str) -> frozenset[str]:
    """The fields of `model` (a model, instance or `app.model` label) that are personal: the
    model's own `PERSONAL_FIELDS`, which its history records share."""
    if isinstance(model, str):
        model = apps.get_model(model)
    model = getattr(model, "instance_type", model)  # a history record: the model it records
    return getattr(model, "PERSONAL_FIELDS", frozenset())


def mask(model: type[Model] | Model | str, row: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `row` with the personal fields of `model` blanked (None)."""
    hidden = personal_fields(model)
    return {k: (None if k in hidden else v) for k, v in row.items()}


# Whether the code running now may show personal data where it cannot ask a serializer's
# context: model __str__ in admin pages (titles, inline rows, history). Set per admin request
# by core.audit.ChannelMiddleware from the user's role; elsewhere (commands, shell) true.
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
