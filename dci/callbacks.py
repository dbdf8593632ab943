"""Answers to async calls, delivered from a job (`dci_callback`), never inside the request.

The address is the call's `sender_uri`, and only if it is one the partner registered
(exact match, checked when the call came in and again before sending): an arbitrary
address is never fetched (SSRF). The POST follows no redirect, waits at most
DCI_CALLBACK_TIMEOUT_SECONDS, and reads at most DCI_CALLBACK_MAX_BYTES of the answer.

Retries: a run tries three times (after 1 and 4 seconds); a run that could not deliver
fails its job, and the `dci_redeliver` job (periodic) puts failed deliveries back in the
queue (core.jobs.requeue) until DCI_CALLBACK_ATTEMPTS runs were made, each later than the
last (at least 2^runs minutes after it).
"""

from __future__ import annotations

import http.client
import json
import logging
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from core import jobs
from core.models import Job, JobStatus

from . import api, search, services, subscriptions, txn_status
from .codes import Status
from .envelope import DciError, Envelope
from .models import Transaction
from .signatures import signed

log = logging.getLogger(__name__)
JOB_KIND = "dci_callback"
REDELIVER_KIND = "dci_redeliver"
PAUSES = (1, 4)  # seconds between the tries of one run


class NotDelivered(jobs.JobError):
    """The partner's callback did not take the answer (it is tried again later)."""


def post_json(uri: str, body: dict[str, Any], token: str | None = None) -> int:
    """POST `body` to `uri`: no redirects, a timeout, the answer read up to the cap.
    Returns the HTTP status; raises NotDelivered on a network error."""
    parts = urlsplit(uri)
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(
        parts.hostname, parts.port, timeout=settings.DCI_CALLBACK_TIMEOUT_SECONDS
    )
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    data = json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "Content-Length": str(len(data))}
    try:
        connection.request("POST", path, body=data, headers=headers)
        response = connection.getresponse()
        response.read(settings.DCI_CALLBACK_MAX_BYTES)
        return response.status
    except (OSError, http.client.HTTPException) as error:
        raise NotDelivered(f"{type(error).__name__}: {error}") from None
    finally:
        connection.close()


def deliver(uri: str, body: dict[str, Any]) -> None:
    """Sign the envelope (dci.signatures), then try a few times in this run; NotDelivered if
    every try failed."""
    body = signed(body)
    last = ""
    for pause in (0, *PAUSES):
        if pause:
            time.sleep(pause)
        try:
            status = post_json(uri, body)
        except NotDelivered as error:
            last = str(error)
            continue
        if 200 <= status < 300:
            return
        last = f"HTTP {status}"  # a redirect is an answer too: not followed
    raise NotDelivered(last)


def enqueue(logged: Transaction) -> Job:
    """Queue the answer to an accepted async call (in the call's transaction)."""
    job = jobs.enqueue(JOB_KIND, {"transaction": str(logged.pk)})
    Transaction.objects.filter(pk=logged.pk).update(job=job)
    return job


# ---------------------------------------------------------------------------- answers


def _answer(logged: Transaction) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(callback action, message, header fields) answering the logged async call. A search
    is run now, with the partner's rights of now."""
    partner = logged.partner
    envelope = Envelope(header={}, message=logged.request or {})
    if logged.action == "search":
        items = envelope.message.get("search_request") or []
        message, done = search.answer_logged(logged, envelope, items, "/dci/registry/search")
        return "on-search", message, {"total": len(items), "completed": done}
    if logged.action == "txn-status":
        try:
            return (
                "txn-on-status",
                txn_status.answer(partner, envelope, logged.pk),
                {
                    "total": 1,
                    "completed": 1,
                },
            )
        except DciError as error:  # not found: said in the header, no message
            return (
                "txn-on-status",
                None,
                {"status": Status.REJECTED, "total": 1, "reason_message": error.message},
            )
    if logged.action == "subscribe":
        message = subscriptions.subscribe_answer(logged)
        done = sum(1 for o in logged.outcomes if o["status"] == Status.SUCCEEDED)
        return "on-subscribe", message, {"total": len(logged.outcomes), "completed": done}
    if logged.action == "unsubscribe":
        return (
            "on-unsubscribe",
            subscriptions.unsubscribe_answer(logged),
            {"total": 1, "completed": 1},
        )
    raise ValueError(f"no async answer for {logged.action!r}")


def run_job(job: Job) -> None:
    """Work out the answer and deliver it. The answer is not kept (it may carry personal
    data): a later run works it out again."""
    logged = Transaction.objects.select_related("partner__user").get(pk=job.params["transaction"])
    if logged.delivered_at is not None:
        return
    partner = logged.partner
    if not partner.active or not services.callback_allowed(partner, logged.sender_uri):
        raise NotDelivered("the callback address is no longer registered; nothing sent")
    with transaction.atomic():
        action, message, fields = _answer(logged)
    header = api.callback_header(action, receiver_id=partner.sender_id, **fields)
    body: dict[str, Any] = {"header": header}
    if message is not None:
        body["message"] = message
    deliver(logged.sender_uri, body)
    Transaction.objects.filter(pk=logged.pk).update(delivered_at=timezone.now(), request=None)
    jobs.progress(job, report={"action": action, "delivered": True})


def redeliver(job: Job | None = None) -> int:
    """Requeue failed deliveries whose pause has passed (2^runs minutes), up to
    DCI_CALLBACK_ATTEMPTS runs each. Returns how many were requeued."""
    now = timezone.now()
    requeued = 0
    failed = Job.objects.filter(
        kind=JOB_KIND, status=JobStatus.FAILED, attempts__lt=settings.DCI_CALLBACK_ATTEMPTS
    )
    for failure in failed.order_by("finished_at")[:500]:
        pause = timedelta(minutes=2**failure.attempts)
        if failure.finished_at and failure.finished_at + pause > now:
            continue
        requeued += jobs.requeue(failure)
    return requeued
