"""A partner has at most `DCI_MAX_SUBSCRIPTIONS` live subscriptions: every notification run
scans the change feed and calls back once per live subscription (up to 10 s a try, three
tries), so a partner subscribing without end — ten a message, as fast as the throttle allows
— made every run, for every partner, longer without bound. One more is rejected
(`rjct.notify_details.invalid`, saying why); ending one makes room."""

import pytest

from dci.models import Subscription
from tests import factories as f
from tests.jobs import run_jobs

from .conftest import client, post, validate
from .test_async import ack, partner, receiver, subscribe_envelope  # noqa: F401

pytestmark = pytest.mark.django_db


def by_code(household):
    return ("idtype-value", {"type": "HOUSEHOLD_CODE", "value": household.code})


def test_subscriptions_beyond_the_limit_are_rejected(partner, ward, receiver, settings):  # noqa: F811
    settings.DCI_MAX_SUBSCRIPTIONS = 2
    p, secret = partner
    households = [f.household(ward) for _ in range(3)]
    body = subscribe_envelope(p, receiver, *(by_code(h) for h in households))
    ack(post(client(p, secret), "registry/subscribe", body))
    assert Subscription.objects.filter(partner=p).count() == 2
    run_jobs()
    [answer] = (a for path, a in receiver.received if path == "/on-subscribe")
    validate(answer, "OnSubscribe")
    first, second, third = answer["message"]["subscribe_response"]
    assert first["status"] == second["status"] == "succ"
    assert third["status"] == "rjct"
    assert third["status_reason_code"] == "rjct.notify_details.invalid"
    assert "at most 2" in third["status_reason_message"]


def test_an_ended_subscription_makes_room(partner, ward, receiver, settings):  # noqa: F811
    settings.DCI_MAX_SUBSCRIPTIONS = 1
    p, secret = partner
    first, second = f.household(ward), f.household(ward)
    ack(
        post(
            client(p, secret), "registry/subscribe", subscribe_envelope(p, receiver, by_code(first))
        )
    )
    Subscription.objects.update(ended_at=first.created_at)
    body = subscribe_envelope(p, receiver, by_code(second))
    body["message"]["transaction_id"] = "sub-2"
    ack(post(client(p, secret), "registry/subscribe", body))
    assert Subscription.objects.filter(partner=p, ended_at__isnull=True).count() == 1
