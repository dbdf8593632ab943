"""Identifiers unique across the register (citizen IDs, the registry's household IDs): the
refusal when one is taken, the same for every door (API, admin, field uploads, registry
sync), and a save that answers a key taken at the same moment as that refusal."""

from __future__ import annotations

from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from core.errors import Conflict

from .models import Household, Member


def citizen_id_taken(citizen_id: str, holder_code: str | None, path: str) -> Conflict:
    """The refusal of a citizen ID someone else holds, for every door (API, admin, registry
    sync). It names the holder's household only when the caller may read it (`holder_code`
    given); otherwise it says no more than "elsewhere"."""
    if holder_code is not None:
        return Conflict(
            (
                gettext(
                    "Citizen ID %(citizen_id)s is already registered in household "
                    "%(holder_code)s: this is the same person. Move the member instead of "
                    "registering them again."
                )
                % {"citizen_id": citizen_id, "holder_code": holder_code}
            ),
            fields={
                path: gettext("Already registered in household %(holder_code)s.")
                % {"holder_code": holder_code}
            },
            code="duplicate_citizen_id",
        )
    return Conflict(  # not even the number: the answer tells nothing the caller did not know
        gettext("This citizen ID is already registered elsewhere; the province can resolve it."),
        fields={path: gettext("Already registered elsewhere; the province can resolve it.")},
        code="duplicate_citizen_id",
    )


def registry_id_taken() -> Conflict:
    """The refusal of a household registry ID another household holds, for every door (API,
    admin, field uploads): it names neither the ID nor the holder, which may be outside the
    caller's area."""
    message = gettext("This registry ID is already used.")
    return Conflict(message, fields={"external_id": message}, code="duplicate_external_id")


def save_checked(record: Household | Member, recheck: Callable[[], None]) -> None:
    """Save `record`. A unique key it breaks was taken by a write at the same moment, which
    the check before writing could not see while it was in progress: `recheck()` runs that
    check again, now that it sees it, and raises its answer (the field and the reason, and
    nothing the caller may not read), as when the two writes come one after the other. Any
    other broken constraint goes on as it is."""
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        recheck()
        raise
