"""Writes to units and villages: the province's urban/rural setting, villages of communes."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from core.access import Perm, require, require_area, require_province
from core.errors import Conflict

from .models import Commune, Village

# ---------------------------------------------------------------------------- units


@transaction.atomic
def commune_set_urban(*, actor, commune: Commune, is_urban: bool) -> Commune:
    """Whether a unit uses the urban income line: set by its province (đặc khu especially)."""
    access = require(actor, Perm.STANDARDS_MANAGE)
    commune = Commune.objects.select_for_update().get(pk=commune.pk)
    require_province(access, commune.province_id)
    commune.is_urban = is_urban
    commune.save(update_fields=["is_urban"])
    return commune


# ---------------------------------------------------------------------------- villages

VILLAGE_FIELDS = ("commune", "name", "kind")


@transaction.atomic
def village_save(*, actor, village: Village | None, values: dict[str, Any]) -> Village:
    """Create (`village` None) or change a village; its commune (old and new) must be in the
    actor's area. Names are unique within a commune."""
    access = require(actor, Perm.VILLAGES_MANAGE)
    moved = False
    if village is None:
        village = Village()
    else:
        village = (
            Village.objects.select_for_update(of=("self",))
            .select_related("commune")
            .get(pk=village.pk)
        )
        require_area(access, village.commune, village)
        moved = "commune" in values and values["commune"].code != village.commune_id
        if moved:  # a change of communes: both must be the actor's, the village alone is not
            require_area(access, village.commune, None)
        if moved and village.households.exists():
            raise Conflict(
                gettext("A village with households cannot move to another commune."),
                fields={"commune": gettext("The village has households.")},
                code="village_in_use",
            )
    for name in VILLAGE_FIELDS:
        if name in values:
            setattr(village, name, values[name])
    require_area(access, village.commune, None if village._state.adding or moved else village)
    try:
        with transaction.atomic():
            village.save()
    except IntegrityError:
        raise Conflict(
            gettext("Commune %(commune_id)s already has a village named %(name)s.")
            % {"commune_id": village.commune_id, "name": village.name},
            fields={"name": gettext("Already used in this commune.")},
            code="village_exists",
        ) from None
    return village
