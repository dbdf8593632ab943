"""Transaction status (`txn-status`): what became of the partner's own earlier requests,
found by transaction_id, correlation_id or a list of reference_ids. Statuses and counts
only, never records; another partner's transaction is "not found", like one that does
not exist."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils.translation import gettext

from .codes import Error
from .envelope import MAX_ID_LENGTH, DciError, Envelope
from .models import Partner, Transaction

# The standard's txn_type (its spelling, "subscibe", and the right one) → logged actions.
TXN_TYPES = {
    "search": ("search",),
    "subscibe": ("subscribe", "unsubscribe"),
    "subscribe": ("subscribe", "unsubscribe"),
}
ATTRIBUTE_TYPES = ("transaction_id", "reference_id_list", "correlation_id")
RECENT = 500  # transactions looked through for reference ids


def _bad(detail: str) -> DciError:
    return DciError(Error.REQUEST_BAD, detail)


def check(envelope: Envelope) -> None:
    """Refuse a malformed request at once (async calls are answered later)."""
    _request(envelope)


def _request(envelope: Envelope) -> tuple[str, str, Any]:
    request = envelope.message.get("txnstatus_request")
    if not isinstance(request, dict):
        raise _bad(gettext("The message has no txnstatus_request."))
    reference_id = request.get("reference_id")
    if not isinstance(reference_id, str) or len(reference_id) > MAX_ID_LENGTH:
        raise _bad(gettext("txnstatus_request needs a reference_id."))
    txn_type, attribute = request.get("txn_type"), request.get("attribute_type")
    if not isinstance(txn_type, str) or txn_type not in TXN_TYPES:
        raise _bad(gettext("txn_type is search or subscribe."))
    if attribute not in ATTRIBUTE_TYPES:
        raise _bad(
            gettext("attribute_type is one of %(types)s.") % {"types": ", ".join(ATTRIBUTE_TYPES)}
        )
    value = request.get("attribute_value")
    if attribute == "reference_id_list":
        if (
            not isinstance(value, list)
            or not 0 < len(value) <= 100
            or not all(isinstance(v, str) and len(v) <= MAX_ID_LENGTH for v in value)
        ):
            raise _bad(gettext("attribute_value is a list of reference ids."))
    elif not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH:
        raise _bad(gettext("attribute_value is required."))
    return txn_type, attribute, value


def find(partner: Partner, envelope: Envelope, current) -> tuple[str, Transaction, Any]:
    txn_type, attribute, value = _request(envelope)
    mine = (
        Transaction.objects.filter(partner=partner, action__in=TXN_TYPES[txn_type])
        .exclude(status="err")
        .exclude(pk=current)
        .order_by("-at")
    )
    found = None
    if attribute == "transaction_id":
        found = mine.filter(transaction_id=value).first()
    elif attribute == "correlation_id":
        try:
            found = mine.filter(pk=uuid.UUID(value)).first()
        except ValueError:
            found = None
    else:
        wanted = set(value)
        found = next(
            (t for t in mine[:RECENT] if wanted & {o.get("reference_id") for o in t.outcomes}),
            None,
        )
    if found is None:
        raise DciError(Error.NOT_FOUND, gettext("No such transaction of yours."), status=404)
    return txn_type, found, value if attribute == "reference_id_list" else None


def outcome_entry(outcome: dict[str, Any], at: str) -> dict[str, Any]:
    entry = {"reference_id": outcome["reference_id"], "timestamp": at, "status": outcome["status"]}
    if outcome.get("status_reason_code"):
        entry["status_reason_code"] = outcome["status_reason_code"]
    return entry


def answer(partner: Partner, envelope: Envelope, correlation_id) -> dict[str, Any]:
    """The TxnStatusResponse message."""
    txn_type, found, references = find(partner, envelope, correlation_id)
    at = found.at.isoformat(timespec="milliseconds")
    outcomes = [
        o for o in found.outcomes if references is None or o.get("reference_id") in references
    ]
    return {
        "transaction_id": envelope.transaction_id,
        "correlation_id": str(correlation_id),
        "txnstatus_response": {
            "txn_type": txn_type,
            "txn_status": {
                "transaction_id": found.transaction_id,
                "correlation_id": str(found.pk),
                "search_response": [outcome_entry(o, at) for o in outcomes],
            },
        },
    }
