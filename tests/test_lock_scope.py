"""A change locks its record and what its checks read, not its commune: officers working on
different households of one commune do not wait for each other (core.locking.lock_for_change).
PostgreSQL only: SQLite has no row locks (it serialises writers)."""

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection, transaction

from core.access import SYSTEM
from core.models import ChangeEvent
from households import services
from households.models import Household
from integrations import sync
from integrations.sync.stages import Stages
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def meanwhile(work: Callable[[], object]) -> str:
    """Run `work` on another connection, waiting at most a second for a lock: "ok", or
    "waited" when a lock held here stopped it."""
    outcome: list[str] = []

    def run() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '1s'")
                work()
            outcome.append("ok")
        except OperationalError as exc:
            outcome.append("waited" if getattr(exc.__cause__, "sqlstate", "") == "55P03" else "")
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return outcome[0]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL")


def _rename(member, name: str) -> None:
    member.refresh_from_db()
    services.member_update(
        actor=SYSTEM, member=member, expected_version=member.version, values={"full_name": name}
    )


def test_a_member_change_does_not_hold_up_the_rest_of_the_commune(ward):
    h, other = f.household(ward), f.household(ward)
    with transaction.atomic():  # a member change, not yet committed
        _rename(h.members.get(), "Nguyễn Văn Bình")
        # another household of the commune is changed, and a new one registered (its code
        # takes the commune's next number)
        assert meanwhile(lambda: _rename(other.members.get(), "Trần Thị Hoa")) == "ok"
        assert meanwhile(lambda: f.household(ward)) == "ok"
        # but the same household waits: its one head is checked against its members
        h.refresh_from_db()
        assert (
            meanwhile(
                lambda: services.household_update(
                    actor=SYSTEM,
                    household=h,
                    expected_version=h.version,
                    data=services.HouseholdInput(values={"address": "Thôn 2"}),
                )
            )
            == "waited"
        )
    assert other.members.get().full_name == "Trần Thị Hoa"
    assert ward.households.count() == 3


class _After(Stages):
    """A sync's stages, running a check as each chunk leaves the stages named."""

    def __init__(self, checks: dict[str, Callable[[], None]]) -> None:
        super().__init__()
        self.checks = checks

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        with super().__call__(stage):
            yield
        if stage in self.checks:
            self.checks[stage]()


def test_a_sync_chunk_builds_its_change_events_before_it_takes_the_feeds_counter(ward):
    """The feed's counter (core.feed) is held from a chunk's numbering of its events to its
    commit, and every writer of the feed waits for it at its own commit. The chunk builds its
    events (payloads, areas) before that, so that the counter is held only to copy them."""
    other = f.household(ward)
    seen: dict[str, object] = {}

    def events_built() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT entity, payload FROM sync_events ORDER BY n")
            seen["staged"] = [
                (entity, json.loads(p) if isinstance(p, str) else p)
                for entity, p in cursor.fetchall()
            ]
        seen["events"] = meanwhile(lambda: _rename(other.members.get(), "Trần Thị Hoa"))

    def numbered() -> None:
        seen["feed"] = meanwhile(lambda: _rename(other.members.get(), "Trần Thị Hồng"))

    record = {
        "external_id": "LS-1",
        "commune": ward.code,
        "address": "Số 9",
        "members": [
            {
                "external_id": "LS-1-1",
                "full_name": "Vũ Văn Long",
                "date_of_birth": "1980-05-01",
                "sex": "male",
                "ethnicity": "01",
                "relationship": "head",
            }
        ],
    }
    report = sync.sync_records(
        [record], actor=SYSTEM, stages=_After({"events": events_built, "feed": numbered})
    )
    assert [o.outcome for o in report.outcomes] == ["created"]
    # built with their payloads while another writer of the feed went ahead ...
    assert [entity for entity, _ in seen["staged"]] == ["household", "member"]
    assert seen["staged"][0][1]["address"] == "Số 9"
    assert seen["staged"][1][1]["full_name"] == "Vũ Văn Long"
    assert seen["events"] == "ok"
    # ... and numbered once the chunk holds the counter: the next writer waited for it
    assert seen["feed"] == "waited"
    assert other.members.get().full_name == "Trần Thị Hoa"
    household = Household.objects.get(external_id="LS-1")
    events = ChangeEvent.objects.filter(entity_id=household.pk)
    assert [e.payload["address"] for e in events] == ["Số 9"]
