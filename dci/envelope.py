"""The DCI envelope (`signature`, `header`, `message`): parsing and the header's rules.

A refusal is a `DciError` carrying the standard's code. Codes of the `Error` list (`err.…`)
refuse the message at the transport level (`ack_status: ERR`); the header's reason codes
(`rjct.…`) refuse what the header asks (api.render decides the form per endpoint).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from .codes import VERSION, Error, HeaderReason

LOCALE = re.compile(r"^[a-z]{3}$")  # ISO 639-3, as the standard's LanguageCode says
MAX_ID_LENGTH = 99  # transaction_id, reference_id, message_id (the standard's maxLength)


class DciError(Exception):
    """A refusal in the standard's terms: its code, a human message and the HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass
class Envelope:
    header: dict[str, Any] = field(default_factory=dict)
    message: dict[str, Any] = field(default_factory=dict)
    signature: str | None = None

    @property
    def message_id(self) -> str:
        value = self.header.get("message_id")
        return value if isinstance(value, str) else ""

    @property
    def transaction_id(self) -> str:
        value = self.message.get("transaction_id")
        return value if isinstance(value, str) else ""


def parse_timestamp(value: Any) -> datetime | None:
    """An ISO 8601 date-time with its offset (the standard's DateTime), from 1900 and not
    ahead of the server's clock by more than DCI_CLOCK_SKEW_SECONDS; None otherwise."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40 or not value[:4].isdigit():
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None or moment.year < 1900:
        return None
    skew = timedelta(seconds=settings.DCI_CLOCK_SKEW_SECONDS)
    if moment > timezone.now() + skew:
        return None
    return moment


def valid_locale(value: Any) -> bool:
    """Absent or empty, or an ISO 639-3 code (three lower-case letters)."""
    return value in (None, "") or (isinstance(value, str) and bool(LOCALE.match(value)))


def _text(header: dict[str, Any], name: str, *, required: bool) -> str:
    value = header.get(name)
    if value is None or value == "":
        if required:
            raise DciError(
                Error.REQUEST_BAD,
                gettext("The header has no %(field)s.") % {"field": name},
            )
        return ""
    if not isinstance(value, str) or len(value) > MAX_ID_LENGTH or "\x00" in value:
        raise DciError(
            Error.REQUEST_BAD,
            gettext("The header's %(field)s must be text of at most %(max)s characters.")
            % {"field": name, "max": MAX_ID_LENGTH},
        )
    return value


def _count(value: Any) -> int | None:
    """`total_count`: an integer (the published examples send it as a string of digits)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 10:
        return int(value)
    return None


def parse(body: bytes, *, action: str) -> Envelope:
    """The envelope of a request to an endpoint whose header action is `action`."""
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise DciError(Error.REQUEST_BAD, gettext("The body is not JSON.")) from None
    if not isinstance(data, dict):
        raise DciError(Error.REQUEST_BAD, gettext("The body must be a JSON object."))
    header, message, signature = data.get("header"), data.get("message"), data.get("signature")
    if not isinstance(header, dict):
        raise DciError(Error.REQUEST_BAD, gettext("The request has no header."))
    envelope = Envelope(header=header, message=message if isinstance(message, dict) else {})
    if signature not in (None, "") and not isinstance(signature, str):
        raise DciError(Error.REQUEST_BAD, gettext("The signature must be text."))
    envelope.signature = signature or None
    for name in ("message_id", "action", "sender_id"):
        _text(header, name, required=True)
    _text(header, "receiver_id", required=False)
    version = header.get("version", VERSION)
    if version != VERSION:
        raise DciError(
            Error.VERSION_NOT_SUPPORTED,
            gettext("Version %(version)s is not supported; this registry speaks %(ours)s.")
            % {"version": str(version)[:20], "ours": VERSION},
        )
    if header.get("is_msg_encrypted") not in (None, False):
        raise DciError(Error.ENCRYPTION_INVALID, gettext("Encrypted messages are not supported."))
    if header.get("action") != action:
        raise DciError(
            HeaderReason.ACTION_INVALID,
            gettext("This endpoint takes the action %(action)s.") % {"action": action},
        )
    if parse_timestamp(header.get("message_ts")) is None:
        raise DciError(
            HeaderReason.MESSAGE_TS_INVALID,
            gettext(
                "message_ts must be an ISO 8601 date and time with its offset, not in the future."
            ),
        )
    if "total_count" not in header:
        raise DciError(
            Error.REQUEST_BAD, gettext("The header has no %(field)s.") % {"field": "total_count"}
        )
    if _count(header.get("total_count")) is None:
        raise DciError(
            HeaderReason.TOTAL_COUNT_INVALID, gettext("total_count must be a whole number.")
        )
    if not isinstance(message, dict):
        raise DciError(Error.REQUEST_BAD, gettext("The request has no message."))
    transaction_id = message.get("transaction_id")
    if not isinstance(transaction_id, str) or len(transaction_id) > MAX_ID_LENGTH:
        raise DciError(
            Error.REQUEST_BAD,
            gettext("The message's transaction_id must be text of at most %(max)s characters.")
            % {"max": MAX_ID_LENGTH},
        )
    return envelope


def check_batch(envelope: Envelope, items: Any, name: str) -> list[Any]:
    """The message's batch `name` (a list), as many as the header's total_count says and
    at most DCI_MAX_BATCH."""
    if not isinstance(items, list) or not items:
        raise DciError(
            Error.REQUEST_BAD,
            gettext("The message has no %(field)s list.") % {"field": name},
        )
    if _count(envelope.header.get("total_count")) != len(items):
        raise DciError(
            HeaderReason.TOTAL_COUNT_INVALID,
            gettext("total_count must be the number of requests in the message (%(n)s).")
            % {"n": len(items)},
        )
    if len(items) > settings.DCI_MAX_BATCH:
        raise DciError(
            HeaderReason.TOTAL_COUNT_LIMIT_EXCEEDED,
            gettext("At most %(max)s requests in one message.") % {"max": settings.DCI_MAX_BATCH},
        )
    return items
