"""A grant's change stamp (`UserAccess.stamp`) is renewed on every change of the grant, by any
path (services, admin, shell): a save, or a change of its provinces, communes or villages.
`accounts.roles.resolve_access` keeps resolved areas under that stamp."""

from __future__ import annotations

import uuid

from django.db.models.signals import m2m_changed, pre_save
from django.dispatch import receiver

from .models import UserAccess


@receiver(pre_save, sender=UserAccess)
def renew_stamp_on_save(sender, instance: UserAccess, **kwargs) -> None:
    instance.stamp = uuid.uuid4()


def renew_stamp_on_area_change(sender, instance, action: str, reverse: bool, pk_set, **kwargs):
    if not action.startswith("post_"):
        return
    stamp = uuid.uuid4()
    if not reverse:
        instance.stamp = stamp
        UserAccess.objects.filter(pk=instance.pk).update(stamp=stamp)
    else:  # from the unit's side (no accessor is declared for it; `clear` names no grant)
        grants = (
            UserAccess.objects.all() if pk_set is None else UserAccess.objects.filter(pk__in=pk_set)
        )
        grants.update(stamp=stamp)


for field in ("provinces", "communes", "villages"):
    m2m_changed.connect(
        renew_stamp_on_area_change,
        sender=getattr(UserAccess, field).through,
        dispatch_uid=f"accounts.renew_stamp.{field}",
    )
