"""The DCI answers' forms, one place: the HTTP error list (401/403 and the token endpoint),
the acknowledgement (`ACK`/`ERR`), and the callback header of a response envelope."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework.response import Response

from .codes import VERSION, Ack, Error, Status
from .envelope import DciError
from .signatures import signed


def now() -> str:
    return timezone.now().isoformat(timespec="milliseconds")


def _no_store(response: Response) -> Response:
    response["Cache-Control"] = "no-store"
    return response


def http_error(error: DciError) -> Response:
    """The standard's HttpErrorResponse: `{"errors": [{"code", "message"}]}`."""
    response = Response(
        {"errors": [{"code": error.code, "message": error.message}]}, status=error.status
    )
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="dci"'
    return _no_store(response)


def ack(correlation_id: Any) -> Response:
    body = {"ack_status": Ack.ACK, "timestamp": now(), "correlation_id": str(correlation_id)}
    return _no_store(Response({"message": body}))


def ack_error(error: DciError, correlation_id: Any = None) -> Response:
    """`ack_status: ERR` with an `Error` code. A header reason (`rjct.…`) has no place in
    the Error list: it is sent as err.request.bad, the reason first in the message."""
    code, message = error.code, error.message
    if code not in {e.value for e in Error}:
        code, message = Error.REQUEST_BAD, f"{error.code}: {error.message}"
    body = {
        "ack_status": Ack.ERR,
        "timestamp": now(),
        "error": {"code": str(code), "message": message[:999]},
        "correlation_id": str(correlation_id or uuid.uuid4()),
    }
    return _no_store(Response({"message": body}, status=error.status))


def callback_header(
    action: str,
    *,
    receiver_id: str,
    status: str = Status.SUCCEEDED,
    reason: str = "",
    reason_message: str = "",
    total: int = 0,
    completed: int = 0,
) -> dict[str, Any]:
    """The header of an answer (MsgCallbackHeader): on-search, txn-on-status, …"""
    header: dict[str, Any] = {
        "version": VERSION,
        "message_id": str(uuid.uuid4()),
        "message_ts": now(),
        "action": action,
        "status": status,
        "total_count": total,
        "completed_count": completed,
        "sender_id": settings.DCI_REGISTRY_ID,
        "receiver_id": receiver_id,
        "is_msg_encrypted": False,
    }
    if reason:
        header["status_reason_code"] = reason
    if reason_message:
        header["status_reason_message"] = reason_message[:999]
    return header


def envelope_response(header: dict[str, Any], message: dict[str, Any] | None, status=200):
    body: dict[str, Any] = {"header": header}
    if message is not None:
        body["message"] = message
    return _no_store(Response(signed(body), status=status))
