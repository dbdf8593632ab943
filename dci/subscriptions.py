"""Subscriptions (`registry/subscribe`, `registry/unsubscribe`): checked and written when the
call comes in (one message_id, one write: dci.models.Transaction), answered by callback.

A subscription's filter is a search query (`idtype-value` or `predicate`, dci.criteria) on
households; `notify_record_type` is `Group`. Notifications ride on the change feed
(dci.notify)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext

from core.access import Access
from core.models import ChangeEvent

from . import search
from .codes import Status, SubscribeReason, UnsubscribeReason
from .criteria import GROUP, Predicate, Rejected, idtype_q, predicate_q
from .models import Partner, Subscription, Transaction

RECORD_TYPES = ("Group",)


def filter_q(filter_type: str, query: Any, access: Access) -> tuple[Q, bool]:
    """The subscription's filter as a filter on households, and whether it reads the
    household size annotation (criteria.with_size); Rejected if invalid."""
    if filter_type == "idtype-value":
        return idtype_q(query, GROUP, access), False
    if filter_type == "predicate":
        predicate = Predicate(entity=GROUP, today=timezone.localdate(), access=access)
        q = predicate_q(query, predicate)
        return q, predicate.uses_size
    raise Rejected(
        SubscribeReason.NOTIFY_DETAILS_INVALID,
        gettext("filter_type is idtype-value or predicate."),
    )


def _check(item: Any, access: Access, seen: set[str]) -> dict[str, Any]:
    reference_id = search.check_request(
        item,
        seen,
        invalid=SubscribeReason.REFERENCE_ID_INVALID,
        duplicate=SubscribeReason.REFERENCE_ID_DUPLICATE,
        timestamp=SubscribeReason.TIMESTAMP_INVALID,
    )
    criteria = item.get("subscribe_criteria")
    if not isinstance(criteria, dict):
        raise Rejected(
            SubscribeReason.NOTIFY_DETAILS_INVALID, gettext("subscribe_criteria is required.")
        )
    record_type = criteria.get("notify_record_type") or "Group"
    if record_type not in RECORD_TYPES:
        raise Rejected(
            SubscribeReason.NOTIFY_TYPES_INVALID, gettext("notify_record_type is Group.")
        )
    filter_type = criteria.get("filter_type")
    try:
        filter_q(filter_type, criteria.get("filter"), access)
    except Rejected as rejected:
        raise Rejected(SubscribeReason.NOTIFY_DETAILS_INVALID, rejected.message) from None
    event = criteria.get("reg_event_type")
    return {
        "reference_id": reference_id,
        "filter_type": filter_type,
        "filter": criteria.get("filter"),
        "notify_record_type": record_type,
        "reg_event_type": event if isinstance(event, str) else "",
    }


def subscribe(
    partner: Partner, access: Access, logged: Transaction, items: list[Any]
) -> list[dict[str, Any]]:
    """Write the subscriptions the requests ask for; each request's outcome."""
    cursor = ChangeEvent.objects.aggregate(last=Max("seq"))["last"] or 0
    seen: set[str] = set()
    outcomes = []
    # Every notification run scans the feed and calls back once per live subscription.
    live = Subscription.objects.filter(partner=partner, ended_at__isnull=True).count()
    for item in items:
        try:
            values = _check(item, access, seen)
            twin = Subscription.objects.filter(
                partner=partner,
                ended_at__isnull=True,
                filter_type=values["filter_type"],
                filter=values["filter"],
            ).first()
            if twin is not None:
                raise Rejected(
                    SubscribeReason.ALREADY_SUBSCRIBED,
                    gettext("Already subscribed: %(code)s.") % {"code": twin.pk},
                )
            if live >= settings.DCI_MAX_SUBSCRIPTIONS:
                raise Rejected(
                    SubscribeReason.NOTIFY_DETAILS_INVALID,
                    gettext(
                        "A partner has at most %(max)s live subscriptions; unsubscribe from "
                        "some first."
                    )
                    % {"max": settings.DCI_MAX_SUBSCRIPTIONS},
                )
        except Rejected as refused:
            outcomes.append(
                {
                    "reference_id": search.reference_of(item),
                    "status": Status.REJECTED,
                    "status_reason_code": refused.reason,
                    "status_reason_message": refused.message,
                }
            )
            continue
        live += 1
        made = Subscription.objects.create(
            partner=partner,
            transaction=logged,
            callback_uri=logged.sender_uri,
            cursor=cursor,
            **values,
        )
        outcomes.append(
            {"reference_id": made.reference_id, "status": Status.SUCCEEDED, "code": str(made.pk)}
        )
    return outcomes


def subscribe_answer(logged: Transaction) -> dict[str, Any]:
    """The SubscribeResponse message, from what was written when the call came in."""
    at = logged.at.isoformat(timespec="milliseconds")
    made = {str(s.pk): s for s in Subscription.objects.filter(transaction=logged)}
    answers = []
    for outcome in logged.outcomes:
        entry: dict[str, Any] = {
            "reference_id": outcome["reference_id"],
            "timestamp": at,
            "status": outcome["status"],
        }
        if outcome["status"] == Status.REJECTED:
            entry["status_reason_code"] = outcome["status_reason_code"]
            entry["status_reason_message"] = outcome["status_reason_message"][:999]
        else:
            s = made[outcome["code"]]
            entry["subscriptions"] = [
                {
                    "version": "1.0.0",
                    "code": str(s.pk),
                    "status": "subscribe" if s.ended_at is None else "unsubscribe",
                    "timestamp": s.created_at.isoformat(timespec="milliseconds"),
                    "reg_event_type": s.reg_event_type,
                    "filter_type": s.filter_type,
                    "filter": s.filter,
                    "notify_record_type": s.notify_record_type,
                }
            ]
        answers.append(entry)
    return {
        "transaction_id": logged.transaction_id,
        "correlation_id": str(logged.pk),
        "subscribe_response": answers,
    }


def unsubscribe(partner: Partner, codes: Any) -> list[dict[str, Any]]:
    """End the partner's subscriptions named by `codes`; each code's outcome. Another
    partner's code is invalid, exactly like one that does not exist."""
    outcomes = []
    for code in codes:
        found = (
            Subscription.objects.filter(partner=partner, pk=code).first()
            if isinstance(code, str) and _is_uuid(code)
            else None
        )
        if found is None:
            outcomes.append(
                {
                    "code": str(code)[:99],
                    "status": Status.REJECTED,
                    "status_reason_code": UnsubscribeReason.SUBSCRIPTION_CODE_INVALID,
                }
            )
        elif found.ended_at is not None:
            outcomes.append(
                {
                    "code": code,
                    "status": Status.REJECTED,
                    "status_reason_code": UnsubscribeReason.ALREADY_UNSUBSCRIBED,
                }
            )
        else:
            Subscription.objects.filter(pk=found.pk).update(ended_at=timezone.now())
            outcomes.append({"code": code, "status": Status.SUCCEEDED})
    return outcomes


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def unsubscribe_answer(logged: Transaction) -> dict[str, Any]:
    """The UnSubscribeResponse message."""
    refused = [o for o in logged.outcomes if o["status"] == Status.REJECTED]
    answer: dict[str, Any] = {
        "transaction_id": logged.transaction_id,
        "correlation_id": str(logged.pk),
        "timestamp": logged.at.isoformat(timespec="milliseconds"),
        "status": Status.REJECTED if refused else Status.SUCCEEDED,
        "subscription_status": [
            {"code": o["code"], "status": "unsubscribe"}
            for o in logged.outcomes
            if o["status"] == Status.SUCCEEDED
        ],
    }
    if refused:
        answer["status_reason_code"] = refused[0]["status_reason_code"]
    return answer
