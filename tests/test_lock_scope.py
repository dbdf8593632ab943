"""A change locks its record and what its checks read, not its commune: officers working on
different households of one commune do not wait for each other (core.locking.lock_for_change).
PostgreSQL only: SQLite has no row locks (it serialises writers)."""

import threading
from collections.abc import Callable

import pytest
from django.db import OperationalError, connection, transaction

from core.access import SYSTEM
from households import services
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
