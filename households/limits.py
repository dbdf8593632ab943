"""How much one request may ask of the register: the rule of every door (API, admin,
field uploads, registry sync)."""

from __future__ import annotations

from django.utils.translation import gettext

from core.errors import InvalidInput

# The most members one request (API, field upload, admin form) may list: each costs several
# queries (its checks, its row, its history, duplicate detection), so one body of 5 MiB with
# tens of thousands of them would hold a worker and a transaction for minutes.
MAX_MEMBERS = 100


def member_count_problem(count: int) -> str | None:
    """Why a request listing `count` members is refused (None: it is not)."""
    if count <= MAX_MEMBERS:
        return None
    return gettext("At most %(max)s members at a time (%(count)s given).") % {
        "max": MAX_MEMBERS,
        "count": count,
    }


def check_member_count(count: int) -> None:
    """Refuse a request listing more than MAX_MEMBERS members (400 naming `members`)."""
    if message := member_count_problem(count):
        raise InvalidInput(message, fields={"members": message}, code="too_many_members")
