"""One way to take a record for a change: lock it, check the actor may change it there, check
the version the change was based on; and one way to refuse a step its state does not allow."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db import OperationalError
from django.db.models import Model, QuerySet
from django.utils.translation import gettext

from .access import Access, Perm, require, require_household
from .errors import Conflict, check_version

Row = TypeVar("Row", bound=Model)

UNVERSIONED: Any = object()  # a step that does not check the version (e.g. a system step)

# PostgreSQL stopped the transaction so that another could go on: a deadlock (40P01) or a
# serialization failure (40001). Nothing of it was written; the same work may run again.
LOST_TO_ANOTHER_WRITER = {"40P01", "40001"}


def lost_to_another_writer(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) in LOST_TO_ANOTHER_WRITER


def household_of(row: Model) -> Any:
    return row.household


def lock_for_change(
    queryset: QuerySet[Row],
    pk: Any,
    *,
    actor,
    perm: Perm | None = None,
    access: Access | None = None,
    area_of: Callable[[Row], Any] | None = household_of,
    expected_version: int | None = UNVERSIONED,
    of: tuple[str, ...] = ("self",),
) -> Row:
    """The row, locked (SELECT … FOR UPDATE) to the end of the transaction, once the actor's
    role allows `perm` (or with the `access` already checked), the household it belongs to
    (`area_of`; None: no area) is inside their area, and its version is the one the change
    was based on (409/428 otherwise).

    Only the rows named in `of` are locked ("self", and the relations of `queryset`'s
    `select_related` whose state the change checks, e.g. "household"): PostgreSQL would
    otherwise lock every row the query joins, the commune too, and every change in a commune
    would wait for the one before. And they are locked as an UPDATE that keeps the key locks
    its row (FOR NO KEY UPDATE): a row written meanwhile that refers to them (a survey of the
    household, a duplicate pair of the member) does not wait, as its foreign-key check would
    behind FOR UPDATE; two changes of the same row still wait for each other."""
    if access is None:
        access = require(actor, perm)
    row = queryset.select_for_update(of=of, no_key=True).get(pk=pk)
    if area_of is not None:
        require_household(access, area_of(row))
    if expected_version is not UNVERSIONED:
        check_version(row.version, expected_version)
    return row


def require_state(row: Model, doing: str, noun: str, allowed: Iterable[str]) -> None:
    """409 unless the row's `state` is one of `allowed`: "Cannot approve an assignment that
    is cancelled; allowed from: proposed."."""
    allowed = tuple(allowed)
    if row.state not in allowed:
        raise Conflict(
            gettext("Cannot %(doing)s %(noun)s that is %(state)s; allowed from: %(join)s.")
            % {"doing": doing, "noun": noun, "state": row.state, "join": ", ".join(allowed)},
            code="illegal_transition",
            fields={"state": gettext("Is %(state)s.") % {"state": row.state}},
        )
