"""registry/notify: a subscriber hears of changes to the households it follows, from the
change feed, inside its area only, once per change; end to end with the loopback receiver."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from core import jobs
from core.access import SYSTEM
from core.models import Job, JobStatus, PersonalDataRead
from dci.models import Subscription, Transaction
from households import services as households
from tests import factories as f
from tests.jobs import run_jobs

from .conftest import client, make_partner, post, validate, verify_ours
from .test_async import Receiver, ack, subscribe_envelope

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_pauses(monkeypatch):
    from dci import callbacks

    monkeypatch.setattr(callbacks, "PAUSES", (0, 0))


@pytest.fixture
def receiver():
    r = Receiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


def rename(member, name: str) -> None:
    households.member_update(
        actor=SYSTEM, member=member, expected_version=member.version, values={"full_name": name}
    )


def notifications(receiver):
    return [a for path, a in receiver.received if path == "/notify"]


def notify_now() -> None:
    jobs.enqueue("dci_notify", {})
    run_jobs()


def test_a_followed_household_that_changes_is_notified_once(ward, outside, receiver, registry_key):
    p, secret = make_partner(communes=[ward], callbacks=[receiver.uri("notify")])
    followed, other = f.household(ward), f.household(ward)
    far = f.household(outside)
    body = subscribe_envelope(
        p,
        receiver,
        (
            "predicate",
            [
                {
                    "expression1": {
                        "attribute_name": "household_size",
                        "operator": "ge",
                        "attribute_value": 1,
                    }
                }
            ],
        ),
    )
    body["header"]["sender_uri"] = receiver.uri("notify")
    ack(post(client(p, secret), "registry/subscribe", body))
    run_jobs()  # the on-subscribe answer
    receiver.received.clear()
    notify_now()
    assert notifications(receiver) == []  # nothing changed since subscribing
    rename(followed.members.get(), "Nguyễn Văn Mới")
    rename(far.members.get(), "Trần Văn Xa")  # outside the partner's area
    notify_now()
    [sent] = notifications(receiver)
    validate(sent, "Notify")
    verify_ours(sent, registry_key)
    [event] = sent["message"]["notify_event"]
    group = event["data"]["reg_records"]
    assert group["@id"] == f"urn:uuid:{followed.pk}"
    assert group["group_head_info"]["demographic_info"]["name"]["given_name"] == "Mới"
    assert far.code not in str(receiver.received) and other.code not in str(sent)
    notify_now()
    assert len(notifications(receiver)) == 1  # the cursor moved on
    logged = Transaction.objects.get(action="notify")
    assert logged.record_ids == [str(followed.pk)]
    assert PersonalDataRead.objects.filter(resource="/dci/registry/notify").count() == 1


def test_a_failed_notification_is_sent_again_and_unsubscribed_ones_are_not(ward, receiver):
    p, secret = make_partner(communes=[ward], callbacks=[receiver.uri("notify")])
    household = f.household(ward)
    body = subscribe_envelope(
        p, receiver, ("idtype-value", {"type": "HOUSEHOLD_CODE", "value": household.code})
    )
    body["header"]["sender_uri"] = receiver.uri("notify")
    ack(post(client(p, secret), "registry/subscribe", body))
    run_jobs()
    receiver.received.clear()
    rename(household.members.get(), "Lê Văn Một")
    receiver.answers = [500, 500, 500]
    notify_now()
    assert len(notifications(receiver)) == 3 and not Transaction.objects.filter(action="notify")
    notify_now()
    assert len(notifications(receiver)) == 4
    Subscription.objects.update(ended_at=household.created_at)
    rename(household.members.get(), "Lê Văn Hai")
    notify_now()
    assert len(notifications(receiver)) == 4


def test_a_filter_on_a_personal_field_needs_view_personal_when_made_and_when_sent(ward, receiver):
    """Which households an age filter lets through tells their members' birth dates: a
    partner not shown birth dates cannot subscribe by age, and one whose user lost the right
    after subscribing hears nothing more from that subscription (the job goes on)."""
    age = [{"expression1": {"attribute_name": "age", "operator": "ge", "attribute_value": 18}}]
    analyst, analyst_secret = make_partner(
        communes=[ward], role=Role.ANALYST, callbacks=[receiver.uri("on-subscribe")]
    )
    ack(
        post(
            client(analyst, analyst_secret),
            "registry/subscribe",
            subscribe_envelope(analyst, receiver, ("predicate", age)),
        )
    )
    run_jobs()
    [answer] = [a for path, a in receiver.received if path == "/on-subscribe"]
    [refused] = answer["message"]["subscribe_response"]
    assert refused["status"] == "rjct"
    assert refused["status_reason_code"] == "rjct.notify_details.invalid"
    assert "age" in refused["status_reason_message"]
    assert not Subscription.objects.filter(partner=analyst).exists()

    p, secret = make_partner(communes=[ward], callbacks=[receiver.uri("notify")])
    household = f.household(ward)
    body = subscribe_envelope(p, receiver, ("predicate", age))
    body["header"]["sender_uri"] = receiver.uri("notify")
    ack(post(client(p, secret), "registry/subscribe", body))
    run_jobs()
    receiver.received.clear()
    rename(household.members.get(), "Lê Văn Một")
    notify_now()
    assert len(notifications(receiver)) == 1  # shown birth dates: notified

    grant = p.user.area_access
    grant.role = Role.ANALYST
    grant.save()
    rename(household.members.get(), "Lê Văn Hai")
    notify_now()
    assert len(notifications(receiver)) == 1
    assert Job.objects.filter(kind="dci_notify").exclude(status=JobStatus.SUCCEEDED).count() == 0
