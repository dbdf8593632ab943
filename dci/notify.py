"""`registry/notify`: subscribers hear of changes to the households they follow, riding on
the change feed (core.feed). The periodic `dci_notify` job reads, for each live
subscription, the feed's events after the subscription's cursor inside the partner's area
(households, members, official statuses), keeps the households its filter matches now, and
sends them as Group records to the subscription's address (registered; no redirects, as
every callback: dci.callbacks). The cursor moves only when the notification was taken (or
there was nothing to send), so a failed one is sent again at the next run. A filter the
partner may no longer use (a personal field, once its user lost `view_personal`) sends
nothing."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.access import Perm, access_for
from core.audit import record_personal_read
from core.models import ChangeEvent, Job, PersonalDataRead
from households.models import Household

from . import api, records, services
from .callbacks import NotDelivered, deliver
from .codes import Status
from .criteria import Rejected, with_size
from .models import Subscription, Transaction
from .subscriptions import filter_q

JOB_KIND = "dci_notify"
ENTITIES = ("household", "member", "official_status")
EVENTS_PER_RUN = 1000  # per subscription; the rest at the next run
REG_TYPE = "ns:org:RegistryType:Social"


def _changed(subscription: Subscription, access) -> tuple[list[Any], int]:
    """Households changed after the cursor inside the area, and the new cursor."""
    events = list(
        ChangeEvent.objects.filter(seq__gt=subscription.cursor, entity__in=ENTITIES)
        .filter(access.area_q("commune", "village"))
        .order_by("seq")
        .values_list("seq", "entity", "entity_id", "payload")[:EVENTS_PER_RUN]
    )
    if not events:
        return [], subscription.cursor
    ids = {
        entity_id if entity == "household" else (payload or {}).get("household_id")
        for _seq, entity, entity_id, payload in events
    }
    return [i for i in ids if i], events[-1][0]


def notify_one(subscription: Subscription) -> int:
    """Send one subscription's notification, if any; returns the households sent."""
    partner = subscription.partner
    access = access_for(partner.user)
    if not access.can(Perm.VIEW) or not services.callback_allowed(
        partner, subscription.callback_uri
    ):
        return 0
    changed, cursor = _changed(subscription, access)
    found: list[Household] = []
    if changed:
        try:  # with the partner's rights of now: a personal field needs view_personal
            q, sized = filter_q(subscription.filter_type, subscription.filter, access)
        except Rejected:
            return 0  # nothing sent, the cursor kept (as for a partner that may not read)
        rows = Household.objects.filter(access.area_q()).filter(pk__in=changed)
        if sized:
            rows = with_size(rows)
        found = list(records.groups_for_page(rows.filter(q).order_by("code")))
    if found:
        personal = access.can(Perm.VIEW_PERSONAL)
        now = api.now()
        message = {
            "transaction_id": str(uuid.uuid4()),
            "notify_event": [
                {
                    "reference_id": str(uuid.uuid4()),
                    "timestamp": now,
                    "data": {
                        "version": "1.0.0",
                        "reg_type": REG_TYPE,
                        "reg_event_type": subscription.reg_event_type or "UPDATE",
                        "reg_record_type": "Group",
                        "reg_records": records.group_record(h, personal=personal),
                    },
                }
                for h in found
            ],
        }
        header = api.callback_header(
            "notify", receiver_id=partner.sender_id, total=len(found), completed=len(found)
        )
        deliver(subscription.callback_uri, {"header": header, "message": message})
        with transaction.atomic():
            Transaction.objects.create(
                partner=partner,
                action="notify",
                sync=False,
                message_id=header["message_id"],
                transaction_id=message["transaction_id"],
                sender_uri=subscription.callback_uri,
                status=Status.SUCCEEDED,
                outcomes=[{"subscription": str(subscription.pk), "status": Status.SUCCEEDED}],
                records=len(found),
                record_ids=[str(h.pk) for h in found],
                delivered_at=timezone.now(),
            )
            if personal:
                record_personal_read(
                    partner.user,
                    PersonalDataRead.Channel.DCI,
                    "/dci/registry/notify",
                    len(found),
                    query=f"subscription {subscription.pk}",
                )
    Subscription.objects.filter(pk=subscription.pk).update(cursor=cursor)
    return len(found)


def run(job: Job | None = None) -> dict[str, int]:
    """Every live subscription of an active partner, once."""
    sent = failed = 0
    live = Subscription.objects.filter(ended_at__isnull=True, partner__active=True)
    for subscription in live.select_related("partner__user").order_by("created_at"):
        try:
            sent += notify_one(subscription)
        except NotDelivered:
            failed += 1
    return {"households_sent": sent, "subscriptions_failed": failed}
