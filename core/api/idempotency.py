"""Safe retries for creates: the `Idempotency-Key` header.

A client that sends a create with `Idempotency-Key: <key>` may send it again (a timeout, a
lost answer) without creating a second record:

- the same user, key and request (method, path, query and canonical JSON body) → the
  original response again: status, body, `Location` and `ETag`, with
  `Idempotent-Replayed: true`;
- the same key with another request → 409 `idempotency_key_reused`;
- the same key after the user's role or area changed → 409 `idempotency_key_rights_changed`
  (a replay never shows what the user's rights no longer show);
- the same key while the first request is still running → 409 `idempotency_key_in_flight`
  (PostgreSQL: a transaction-scoped advisory lock; SQLite serialises writing requests, so the
  second one waits and then gets the replay).

The response is stored in the transaction of the write (ATOMIC_REQUESTS, and a savepoint
here), so a failed request stores nothing; only 2xx responses are stored, so a retry after an
error runs again. Records are per user, kept IDEMPOTENCY_KEY_HOURS and removed by `purge()`
(`manage.py cleanup_files`, which the worker runs every hour).

Use `@idempotent` on a create view method (above `@action` for an action), or
`IdempotentCreateMixin` on a viewset whose `create` is DRF's.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from core.access import access_digest
from core.errors import Conflict, InvalidInput
from core.models import IdempotencyRecord

from .schema import IDEMPOTENCY_KEY

HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_HEADERS = ("Location", "ETag")
_LOCK_CLASS = 0x1DE7  # the first key of our advisory locks (the second: the user and key)


def _valid_key(raw: str) -> str:
    if not KEY_PATTERN.fullmatch(raw):
        raise InvalidInput(
            gettext("The %(header)s header must be 1 to 255 visible ASCII characters (no spaces).")
            % {"header": HEADER},
            fields={HEADER: gettext("1 to 255 visible ASCII characters (no spaces).")},
            code="invalid_idempotency_key",
        )
    return raw


def _canonical(value) -> str:
    return json.dumps(
        value, cls=JSONEncoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def request_hash(request) -> str:
    """SHA-256 of what makes two requests the same: method, path, query and body (as canonical
    JSON: key order and spacing do not matter)."""
    data = request.data
    if hasattr(data, "lists"):  # a form body (QueryDict)
        data = {k: v for k, v in data.lists()}
    query = sorted((k, v) for k, values in request.query_params.lists() for v in values)
    canonical = _canonical(
        {"method": request.method, "path": request.path, "query": query, "body": data}
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def lock_keys(user_pk, key: str) -> list[int]:
    """The two 32-bit keys of the advisory lock on a user's key (two keys: a space apart from
    single 64-bit advisory locks)."""
    digest = hashlib.sha256(f"{user_pk}:{key}".encode()).digest()
    return [_LOCK_CLASS, int.from_bytes(digest[:4], "big", signed=True)]


def _claim(user_pk, key: str) -> None:
    """PostgreSQL: hold the (user, key) until this transaction ends, or 409 if another
    request holds it now."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", lock_keys(user_pk, key))
        (taken,) = cursor.fetchone()
    if not taken:
        raise Conflict(
            gettext("A request with this %(header)s is still being processed; retry in a moment.")
            % {"header": HEADER},
            fields={HEADER: gettext("A request with this key is in progress.")},
            code="idempotency_key_in_flight",
        )


def _replay(record: IdempotencyRecord) -> Response:
    return Response(
        record.response,
        status=record.status,
        headers={**record.headers, REPLAYED_HEADER: "true"},
    )


def _store(request, key: str, digest: str, response) -> None:
    now = timezone.now()
    IdempotencyRecord.objects.create(
        user=request.user,
        key=key,
        method=request.method,
        path=request.path[:255],
        request_hash=digest,
        access=access_digest(request.user),
        status=response.status_code,
        # as the renderer writes it (UUIDs, dates and decimals as strings)
        response=json.loads(_canonical(response.data)),
        headers={h: response[h] for h in KEPT_HEADERS if response.has_header(h)},
        created_at=now,
        expires_at=now + timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS),
    )


def idempotent(view_method):
    """Make a create view method safe to retry with an Idempotency-Key (see the module)."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        raw = request.headers.get(HEADER)
        if raw is None:
            return view_method(self, request, *args, **kwargs)
        key = _valid_key(raw)
        digest = request_hash(request)
        with transaction.atomic():
            _claim(request.user.pk, key)
            record = (
                IdempotencyRecord.objects.select_for_update()
                .filter(user=request.user, key=key)
                .first()
            )
            if record is not None and record.expires_at <= timezone.now():
                record.delete()  # past its time: the key is free again
                record = None
            if record is not None:
                if record.request_hash != digest:
                    raise Conflict(
                        (
                            gettext(
                                "This %(header)s was already used for a different request "
                                "(%(method)s %(path)s or another body)."
                            )
                            % {"header": HEADER, "method": record.method, "path": record.path}
                        ),
                        fields={HEADER: gettext("Already used for a different request.")},
                        code="idempotency_key_reused",
                    )
                if record.access != access_digest(request.user):
                    raise Conflict(
                        (
                            gettext(
                                "Your role or area changed since this %(header)s was used: "
                                "send the request with a new key."
                            )
                            % {"header": HEADER}
                        ),
                        fields={HEADER: gettext("Used under other rights.")},
                        code="idempotency_key_rights_changed",
                    )
                return _replay(record)
            response = view_method(self, request, *args, **kwargs)
            if 200 <= response.status_code < 300 and hasattr(response, "data"):
                _store(request, key, digest, response)
            return response

    return extend_schema(parameters=[IDEMPOTENCY_KEY])(wrapper)


class IdempotentCreateMixin:
    """`create` (DRF's, or the view's own) made safe to retry with an Idempotency-Key."""

    @idempotent
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)


def purge(now=None) -> int:
    """Remove the records past their time; returns how many."""
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
