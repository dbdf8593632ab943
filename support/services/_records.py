"""What the catalog, plan and livelihood writes share: a record is changed under a row lock,
checked against the actor's area both before and after its values are set (a record cannot be
moved out of, or into, an area the actor does not hold), and a unique constraint it breaks is
a 409."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet

from core.errors import Conflict

M = TypeVar("M", bound=Model)


def assign(obj: M, values: dict[str, Any]) -> M:
    for name, value in values.items():
        setattr(obj, name, value)
    return obj


def changed(
    queryset: QuerySet[M], instance: M | None, values: dict[str, Any], check: Callable[[M], Any]
) -> M:
    """`instance` locked (a new record of the queryset's model when None), with `values`
    set; `check` runs on the stored record and on the changed one."""
    if instance is not None:
        instance = queryset.select_for_update(of=("self",)).get(pk=instance.pk)
        check(instance)
    obj = assign(instance or queryset.model(), values)
    check(obj)
    return obj


def save_unique(obj: M, conflict: Conflict) -> M:
    """Save `obj`; a unique constraint it breaks is the given 409, not a crash."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise conflict from None
    return obj
