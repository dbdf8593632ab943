"""The async endpoints: acknowledged at once, answered from a job (never in the request)
on the partner's registered callback address, tested against a real HTTP receiver on
loopback; no other address is ever fetched, redirects are not followed, failed deliveries
are retried."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from core.models import Job, JobStatus, PersonalDataRead
from dci import callbacks
from dci.models import Subscription, Transaction
from tests import factories as f
from tests.jobs import run_jobs

from .conftest import (
    client,
    header,
    make_partner,
    post,
    search_envelope,
    search_item,
    validate,
    verify_ours,
)

pytestmark = pytest.mark.django_db


class Receiver:
    """A callback receiver on 127.0.0.1 (port 0): records every POST, answers with the
    statuses queued in `answers` (then 200)."""

    def __init__(self):
        self.received: list[tuple[str, dict]] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append((self.path, json.loads(body)))
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                if status in (301, 302, 307, 308):
                    self.send_header("Location", f"{receiver.base}/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def uri(self, path: str) -> str:
        return f"{self.base}/{path}"


@pytest.fixture
def receiver():
    r = Receiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture(autouse=True)
def _no_pauses(monkeypatch):
    monkeypatch.setattr(callbacks, "PAUSES", (0, 0))


@pytest.fixture
def partner(ward, receiver):
    paths = ["on-search", "on-status", "on-subscribe", "on-unsubscribe", "notify"]
    return make_partner(communes=[ward], callbacks=[receiver.uri(p) for p in paths])


def ack(r):
    assert r.status_code == 200, r.content
    validate(r.json(), "Response")
    assert r.json()["message"]["ack_status"] == "ACK"
    return r.json()["message"]["correlation_id"]


def test_an_async_search_is_acknowledged_then_answered_on_the_callback(
    partner, ward, receiver, registry_key
):
    p, secret = partner
    household = f.household(ward)
    body = search_envelope(
        p,
        search_item("idtype-value", {"type": "HOUSEHOLD_CODE", "value": household.code}),
        sender_uri=receiver.uri("on-search"),
    )
    correlation = ack(post(client(p, secret), "registry/search", body))
    assert receiver.received == []  # never inside the request
    assert run_jobs() == 1
    [(path, answer)] = receiver.received
    assert path == "/on-search"
    validate(answer, "OnSearch")
    verify_ours(answer, registry_key)  # the partner can tell the answer is the registry's
    assert answer["header"]["receiver_id"] == p.sender_id
    assert answer["message"]["correlation_id"] == correlation
    assert answer["message"]["transaction_id"] == body["message"]["transaction_id"]
    [result] = answer["message"]["search_response"]
    assert result["data"]["reg_records"][0]["@id"] == f"urn:uuid:{household.pk}"
    logged = Transaction.objects.get(pk=correlation)
    assert logged.delivered_at is not None and logged.request is None
    assert logged.record_ids == [str(household.pk)]
    assert PersonalDataRead.objects.get().channel == "dci"


@pytest.mark.parametrize(
    "uri",
    [
        "http://169.254.169.254/latest/meta-data",
        "",
        "{receiver}/elsewhere",
        "{receiver}/on-search/",
        "{receiver}/on-search?x=1",
    ],
)
def test_an_unregistered_sender_uri_is_refused_and_never_fetched(partner, receiver, uri):
    p, secret = partner
    body = search_envelope(
        p,
        search_item("idtype-value", {"type": "HOUSEHOLD_CODE", "value": "x"}),
        sender_uri=uri.format(receiver=receiver.base),
    )
    r = post(client(p, secret), "registry/search", body)
    assert r.status_code == 400
    validate(r.json(), "Response")
    assert r.json()["message"]["error"]["code"] == "err.sender_uri.invalid"
    assert not Job.objects.exists()
    run_jobs()
    assert receiver.received == []


def test_the_same_message_twice_makes_one_job(partner, receiver):
    p, secret = partner
    c = client(p, secret)
    body = search_envelope(
        p,
        search_item("idtype-value", {"type": "HOUSEHOLD_CODE", "value": "x"}),
        sender_uri=receiver.uri("on-search"),
    )
    ack(post(c, "registry/search", body))
    r = post(c, "registry/search", body)
    assert r.status_code == 409
    assert r.json()["message"]["error"]["message"].startswith("rjct.message_id.duplicate")
    assert Job.objects.count() == 1


def test_failed_deliveries_are_retried_and_redirects_not_followed(partner, receiver):
    p, secret = partner
    body = search_envelope(
        p,
        search_item("idtype-value", {"type": "HOUSEHOLD_CODE", "value": "x"}),
        sender_uri=receiver.uri("on-search"),
    )
    ack(post(client(p, secret), "registry/search", body))
    receiver.answers = [302, 500, 503]  # three tries in one run, all refused
    run_jobs()
    assert [path for path, _ in receiver.received] == ["/on-search"] * 3  # not /elsewhere
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED and "HTTP 503" in job.error
    assert callbacks.redeliver() == 0  # too early: the pause has not passed
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(hours=1))
    assert callbacks.redeliver() == 1
    run_jobs()
    assert len(receiver.received) == 4
    assert Job.objects.get().status == JobStatus.SUCCEEDED
    assert Transaction.objects.get(action="search").delivered_at is not None


def test_a_callback_address_unregistered_meanwhile_is_not_fetched(partner, receiver):
    p, secret = partner
    body = search_envelope(
        p,
        search_item("idtype-value", {"type": "HOUSEHOLD_CODE", "value": "x"}),
        sender_uri=receiver.uri("on-search"),
    )
    ack(post(client(p, secret), "registry/search", body))
    p.callback_uris = []
    p.save()
    run_jobs()
    assert receiver.received == []
    assert Job.objects.get().status == JobStatus.FAILED


def test_async_txn_status_is_answered_on_the_callback(partner, receiver):
    p, secret = partner
    c = client(p, secret)
    body = search_envelope(
        p, search_item("expression", {}, ref="x1"), sender_uri=receiver.uri("on-search")
    )
    ack(post(c, "registry/search", body))
    status = {
        "header": header(p, "txn-status", sender_uri=receiver.uri("on-status")),
        "message": {
            "transaction_id": "s",
            "txnstatus_request": {
                "reference_id": "q",
                "txn_type": "search",
                "attribute_type": "transaction_id",
                "attribute_value": body["message"]["transaction_id"],
            },
        },
    }
    ack(post(c, "registry/txn/status", status))
    run_jobs()
    answers = {path: answer for path, answer in receiver.received}
    validate(answers["/on-status"], "TxnOnStatus")
    [entry] = answers["/on-status"]["message"]["txnstatus_response"]["txn_status"][
        "search_response"
    ]
    assert entry["status"] in ("pdng", "rjct")  # answered before or after the search ran


def subscribe_envelope(partner, receiver, *filters):
    items = [
        {
            "reference_id": f"s{i}",
            "timestamp": header(partner, "x")["message_ts"],
            "subscribe_criteria": {
                "reg_event_type": "UPDATE",
                "filter_type": kind,
                "filter": query,
                "notify_record_type": "Group",
            },
        }
        for i, (kind, query) in enumerate(filters)
    ]
    return {
        "header": header(
            partner, "subscribe", total=len(items), sender_uri=receiver.uri("on-subscribe")
        ),
        "message": {"transaction_id": "sub-1", "subscribe_request": items},
    }


def test_subscribe_and_unsubscribe(partner, ward, receiver):
    p, secret = partner
    c = client(p, secret)
    household = f.household(ward)
    by_code = ("idtype-value", {"type": "HOUSEHOLD_CODE", "value": household.code})
    body = subscribe_envelope(
        p,
        receiver,
        by_code,
        (
            "predicate",
            [{"expression1": {"attribute_name": "sex", "operator": "eq", "attribute_value": "x"}}],
        ),
    )
    ack(post(c, "registry/subscribe", body))
    assert post(c, "registry/subscribe", body).status_code == 409  # once per message
    [made] = Subscription.objects.all()
    assert made.partner == p and made.callback_uri == receiver.uri("on-subscribe")
    again = subscribe_envelope(p, receiver, by_code)
    ack(post(c, "registry/subscribe", again))
    run_jobs()
    first, second = (a for path, a in receiver.received if path == "/on-subscribe")
    validate(first, "OnSubscribe")
    ok, bad = first["message"]["subscribe_response"]
    assert ok["status"] == "succ" and ok["subscriptions"][0]["code"] == str(made.pk)
    assert bad["status"] == "rjct" and bad["status_reason_code"] == "rjct.notify_details.invalid"
    assert second["message"]["subscribe_response"][0]["status_reason_code"] == (
        "rjct.event.already_subscribed"
    )
    other, other_secret = make_partner(communes=[ward], callbacks=[receiver.uri("on-x")])
    unsubscribe = {
        "header": header(p, "unsubscribe", sender_uri=receiver.uri("on-unsubscribe")),
        "message": {
            "transaction_id": "u1",
            "timestamp": header(p, "x")["message_ts"],
            "subscription_codes": [str(made.pk)],
        },
    }
    theirs = {
        "header": header(other, "unsubscribe", sender_uri=receiver.uri("on-x")),
        "message": {"transaction_id": "u0", "subscription_codes": [str(made.pk)]},
    }
    ack(post(client(other, other_secret), "registry/unsubscribe", theirs))
    ack(post(c, "registry/unsubscribe", unsubscribe))
    run_jobs()
    answers = [a for path, a in receiver.received if path in ("/on-unsubscribe", "/on-x")]
    for answer in answers:
        validate(answer, "OnUnsubscribe")
    by_path = {path: a["message"] for path, a in receiver.received}
    assert by_path["/on-x"]["status_reason_code"] == "rjct.subscription_code.invalid"
    assert by_path["/on-unsubscribe"]["status"] == "succ"
    assert by_path["/on-unsubscribe"]["subscription_status"] == [
        {"code": str(made.pk), "status": "unsubscribe"}
    ]
    made.refresh_from_db()
    assert made.ended_at is not None


def test_subscribing_needs_the_subscribe_scope(ward, receiver):
    p, secret = make_partner(
        communes=[ward], scopes=("registry.search",), callbacks=[receiver.uri("on-subscribe")]
    )
    r = post(client(p, secret), "registry/subscribe", subscribe_envelope(p, receiver))
    assert r.status_code == 403
    assert r.json()["errors"][0]["code"] == "err.request.forbidden"
