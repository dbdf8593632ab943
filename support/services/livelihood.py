"""Livelihood models and the households taking part in them."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from core.access import Access, Perm, require, require_area
from core.errors import InvalidInput
from geo.models import Commune
from households.models import Household

from ..models import LivelihoodModel, Participation
from ._records import assign, changed


def _require_model_area(access: Access, model: LivelihoodModel) -> None:
    require_area(access, Commune.objects.get(pk=model.commune_id))


@transaction.atomic
def livelihood_model_save(
    *, actor, model: LivelihoodModel | None, values: dict[str, Any]
) -> LivelihoodModel:
    """Create or change a livelihood model of a commune in the actor's area."""
    access = require(actor, Perm.LIVELIHOOD_MANAGE)
    model = changed(
        LivelihoodModel.objects.all(), model, values, lambda m: _require_model_area(access, m)
    )
    if model.end_date and model.end_date < model.start_date:
        raise InvalidInput(
            gettext("The model ends before it starts."),
            fields={"end_date": gettext("Before start_date.")},
        )
    model.save()
    return model


@transaction.atomic
def participation_save(
    *, actor, model: LivelihoodModel, household: Household | None, values: dict[str, Any]
) -> tuple[Participation, bool]:
    """Add a household of the model's commune to a livelihood model, or update its outcome
    when it is already in. Returns the participation and whether it is new."""
    access = require(actor, Perm.LIVELIHOOD_MANAGE)
    model = LivelihoodModel.objects.select_for_update().get(pk=model.pk)
    _require_model_area(access, model)
    existing = Participation.objects.filter(model=model, household=household).first()
    if existing is None and household is None:
        raise InvalidInput(
            gettext("Name the participating household."), fields={"household": gettext("Required.")}
        )
    if household is not None and household.commune_id != model.commune_id:
        raise InvalidInput(
            gettext("Not a household of commune %(commune_id)s.")
            % {"commune_id": model.commune_id},
            fields={
                "household": gettext("Not a household of commune %(commune_id)s.")
                % {"commune_id": model.commune_id}
            },
        )
    participation = assign(existing or Participation(model=model, household=household), values)
    participation.save()
    return participation, existing is None
