"""Writes to units and villages: a unit's urban/rural kind and its changes, villages of
communes."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from core import dates
from core.access import Perm, require, require_area, require_province, user_of
from core.errors import Conflict, InvalidInput
from core.formatting import format_date

from .models import Commune, CommuneKindChange, Village

BASIS_MAX = CommuneKindChange._meta.get_field("basis").max_length

# ---------------------------------------------------------------------------- units


@transaction.atomic
def commune_set_urban(
    *, actor, commune: Commune, is_urban: bool, basis: str, valid_from: date | None = None
) -> Commune:
    """Make a unit urban or rural (the income line it uses) from `valid_from`, today when not
    given: set by its province (đặc khu especially), or an upgrade of a xã to a phường. The
    change is recorded (CommuneKindChange: the kinds before and after, the day, the basis,
    who and when). Changes are recorded in the order of their days, once they have taken
    effect (a day in the past is allowed), so that the present kind is the latest one's."""
    access = require(actor, Perm.STANDARDS_MANAGE)
    commune = Commune.objects.select_for_update().get(pk=commune.pk)
    require_province(access, commune.province_id)
    valid_from = valid_from or dates.today()
    basis = " ".join(basis.split())
    problems: dict[str, str] = {}
    if is_urban == commune.is_urban:
        problems["is_urban"] = gettext("The unit is of this kind already.")
    if valid_from > dates.today():
        problems["valid_from"] = gettext(
            "Cannot be in the future: record the change once it has taken effect."
        )
    elif commune.is_urban_since is not None and valid_from <= commune.is_urban_since:
        problems["valid_from"] = gettext(
            "Must be after %(day)s, the first day of the unit's latest change."
        ) % {"day": format_date(commune.is_urban_since)}
    if not basis:
        problems["basis"] = gettext("Name the decision or the reason for the change.")
    elif len(basis) > BASIS_MAX:
        problems["basis"] = gettext("At most %(max)s characters.") % {"max": BASIS_MAX}
    if problems:
        raise InvalidInput(
            gettext("The unit's kind was not changed."), fields=problems, code="kind_change"
        )
    CommuneKindChange.objects.create(
        commune=commune,
        was_urban=commune.is_urban,
        is_urban=is_urban,
        valid_from=valid_from,
        basis=basis,
        changed_by=user_of(actor),
    )
    commune.is_urban, commune.is_urban_since = is_urban, valid_from
    commune.save(update_fields=["is_urban", "is_urban_since"])
    return commune


def urban_on(commune: Commune, day: date) -> bool:
    """Whether the unit used the urban income line on `day`: the kind the first change after
    `day` replaced (changes are appended in order of their days, each replacing the kind of
    the one before: `commune_set_urban`). A unit whose kind never changed since `day` costs
    no query."""
    if commune.is_urban_since is None or day >= commune.is_urban_since:
        return commune.is_urban
    return (
        CommuneKindChange.objects.filter(commune=commune, valid_from__gt=day)
        .order_by("valid_from")
        .values_list("was_urban", flat=True)[0]
    )


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
