"""Search requests (`search_request[]` of the standard's SearchRequest): each one checked,
run inside the partner's area, and answered with its status, reason code and one page of
records.

What a query selects (query types, the allow-list, personal fields) is dci.criteria. A
household or person outside the area is simply not found, exactly like one that does not
exist. Sorting by a personal field needs `view_personal`, as searching by one does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from core.access import Access, Perm, access_for
from core.audit import record_personal_read
from core.models import PersonalDataRead
from households.models import Household, Member

from . import records
from .codes import SearchReason, Status
from .criteria import (
    GROUP,
    MEMBER,
    QUERY_TYPES,
    FieldRef,
    Predicate,
    Rejected,
    idtype_q,
    invalid_criteria,
    personal,
    predicate_q,
    with_size,
)
from .envelope import MAX_ID_LENGTH, parse_timestamp, valid_locale

# ---------------------------------------------------------------------------- one request

SORTS: dict[str, dict[str, FieldRef]] = {
    GROUP: {"household_code": (Household, "code"), "registration_date": (Household, "created_at")},
    MEMBER: {
        "registration_date": (Member, "created_at"),
        "birth_date": (Member, "date_of_birth"),
    },
}
DEFAULT_ORDER = {GROUP: ["code"], MEMBER: ["household__code", "id"]}


def _page(pagination: Any) -> tuple[int, int]:
    if pagination in (None, ""):
        return settings.DCI_MAX_PAGE_SIZE, 1
    size = pagination.get("page_size") if isinstance(pagination, dict) else None
    number = pagination.get("page_number", 1) if isinstance(pagination, dict) else None
    try:
        size, number = _positive(size), _positive(number)
    except ValueError:
        size = number = 0
    if not 1 <= size <= settings.DCI_MAX_PAGE_SIZE or not 1 <= number <= 1_000_000:
        raise Rejected(
            SearchReason.PAGINATION_INVALID,
            gettext("page_size is 1 to %(max)s and page_number from 1.")
            % {"max": settings.DCI_MAX_PAGE_SIZE},
        )
    # A page is read past every record before it (OFFSET): only the first records of a search
    # are paged, and a partner narrows the query (commune, registration date) for more.
    window = settings.DCI_MAX_RESULT_WINDOW
    if (number - 1) * size >= window:
        raise Rejected(
            SearchReason.PAGINATION_INVALID,
            gettext(
                "Only the first %(window)s records of a search are paged; narrow the query "
                "(e.g. by commune_code or registration_date) to reach the others."
            )
            % {"window": window},
        )
    return size, number


def _positive(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError
    if isinstance(value, float) and not value.is_integer():  # also inf (JSON's 1e400), nan
        raise ValueError
    return int(value)


def _order(sort: Any, entity: str, access: Access) -> list[str]:
    if sort in (None, "", []):
        return DEFAULT_ORDER[entity]
    if not isinstance(sort, list) or len(sort) > 3:
        raise Rejected(SearchReason.SORT_INVALID, gettext("sort is a list of at most 3."))
    order = []
    for item in sort:
        name = item.get("attribute_name") if isinstance(item, dict) else None
        direction = item.get("sort_order", "asc") if isinstance(item, dict) else None
        known = isinstance(name, str) and name in SORTS[entity]
        if not known or direction not in ("asc", "desc"):
            raise Rejected(
                SearchReason.SORT_INVALID,
                gettext("Sort by %(names)s, asc or desc.") % {"names": ", ".join(SORTS[entity])},
            )
        if personal(SORTS[entity][name]) and not access.can(Perm.VIEW_PERSONAL):
            raise Rejected(
                SearchReason.SORT_INVALID,
                gettext("Your role may not sort by %(name)s: it reads personal data.")
                % {"name": name},
            )
        order.append(("-" if direction == "desc" else "") + SORTS[entity][name][1])
    return [*order, "id"]


@dataclass
class Outcome:
    """One answered request: what goes into the response, and what the log keeps."""

    reference_id: str
    status: str
    reason: str = ""
    message: str = ""
    total_count: int = 0
    entity: str = GROUP
    records: list[dict[str, Any]] = field(default_factory=list)
    record_ids: list[str] = field(default_factory=list)
    page: tuple[int, int] = (0, 0)
    locale: str = ""

    def response(self, now: str) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "reference_id": self.reference_id,
            "timestamp": now,
            "status": self.status,
        }
        if self.status == Status.REJECTED:
            answer["status_reason_code"] = self.reason
            answer["status_reason_message"] = self.message[:999]
            return answer
        answer["data"] = {
            "version": "1.0.0",
            "reg_record_type": self.entity,
            "reg_records": self.records,
        }
        answer["pagination"] = {
            "page_size": self.page[0],
            "page_number": self.page[1],
            "total_count": self.total_count,
        }
        if self.locale:
            answer["locale"] = self.locale
        return answer

    def logged(self) -> dict[str, Any]:
        return {
            "reference_id": self.reference_id,
            "status": self.status,
            "status_reason_code": self.reason,
            "total_count": self.total_count,
            "returned": len(self.record_ids),
        }


def reference_of(item: Any) -> str:
    value = item.get("reference_id") if isinstance(item, dict) else None
    return value if isinstance(value, str) else ""


def run_one(item: Any, access: Access, seen: set[str]) -> Outcome:
    reference_id = reference_of(item)
    try:
        return _run(item, access, seen, reference_id)
    except Rejected as rejected:
        return Outcome(reference_id, Status.REJECTED, rejected.reason, rejected.message)


def check_request(
    item: Any, seen: set[str], *, invalid: str, duplicate: str, timestamp: str
) -> str:
    """The checks every request of a batch passes (search, subscribe): a `reference_id`,
    not repeated within the message (added to `seen`), and a valid `timestamp`; Rejected with
    the code list's reason (`invalid`, `duplicate`, `timestamp`) otherwise. Returns the
    reference_id."""
    reference_id = reference_of(item)
    if (
        not isinstance(item, dict)
        or not isinstance(item.get("reference_id"), str)
        or len(reference_id) > MAX_ID_LENGTH
    ):
        raise Rejected(invalid, gettext("reference_id is required."))
    if reference_id and reference_id in seen:
        raise Rejected(duplicate, gettext("reference_id repeats another request of the message."))
    seen.add(reference_id)
    if parse_timestamp(item.get("timestamp")) is None:
        raise Rejected(
            timestamp, gettext("timestamp must be an ISO 8601 date and time with its offset.")
        )
    return reference_id


def _run(item: Any, access: Access, seen: set[str], reference_id: str) -> Outcome:
    check_request(
        item,
        seen,
        invalid=SearchReason.REFERENCE_ID_INVALID,
        duplicate=SearchReason.REFERENCE_ID_DUPLICATE,
        timestamp=SearchReason.TIMESTAMP_INVALID,
    )
    if not valid_locale(item.get("locale")):
        raise invalid_criteria(
            gettext("locale must be an ISO 639-3 language code (e.g. vie, eng).")
        )
    criteria = item.get("search_criteria")
    if not isinstance(criteria, dict):
        raise invalid_criteria(gettext("search_criteria is required."))
    if criteria.get("version", "1.0.0") != "1.0.0":
        raise invalid_criteria(gettext("search_criteria version 1.0.0 only."))
    entity = criteria.get("response_entity") or GROUP
    if entity not in (GROUP, MEMBER):
        raise invalid_criteria(gettext("response_entity is Group or Member."))
    query_type = criteria.get("query_type")
    if query_type not in QUERY_TYPES:
        raise invalid_criteria(
            gettext("query_type is one of %(types)s.") % {"types": ", ".join(QUERY_TYPES)}
        )
    if query_type == "expression":
        raise invalid_criteria(
            gettext(
                "Expression queries are not defined by this registry yet; use "
                "idtype-value or predicate."
            )
        )
    size, number = _page(criteria.get("pagination"))
    order = _order(criteria.get("sort"), entity, access)
    predicate = Predicate(entity=entity, today=timezone.localdate(), access=access)
    if query_type == "idtype-value":
        q = idtype_q(criteria.get("query"), entity, access)
    else:
        q = predicate_q(criteria.get("query"), predicate)
    personal = access.can(Perm.VIEW_PERSONAL)
    if entity == GROUP:
        rows: QuerySet = Household.objects.filter(access.area_q())
        if predicate.uses_size:
            rows = with_size(rows)
    else:
        rows = Member.objects.filter(access.area_q("household__commune", "household__village"))
    rows = rows.filter(q)
    start = (number - 1) * size
    page = rows.order_by(*order)[start : start + size]
    if entity == GROUP:
        found = list(records.groups_for_page(page))
        built = [records.group_record(h, personal=personal) for h in found]
    else:
        found = list(records.members_for_page(page))
        built = [
            records.member_record(m, personal=personal, household_code=m.household.code)
            for m in found
        ]
    # A page that is not full, and not past the end, tells the total itself: a search by an
    # identifier (one record) needs no COUNT.
    partial = len(found) < size and (found or start == 0)
    total = start + len(found) if partial else rows.count()
    locale = item.get("locale") or ""
    return Outcome(
        reference_id,
        Status.SUCCEEDED,
        total_count=total,
        entity=entity,
        records=built,
        record_ids=[str(r.pk) for r in found],
        page=(size, number),
        locale=locale,
    )


# ---------------------------------------------------------------------------- the message


def answer(envelope, items: list[Any], access: Access, correlation_id) -> tuple[dict, list]:
    """The SearchResponse message for the batch, and each request's outcome."""
    seen: set[str] = set()
    outcomes = [run_one(item, access, seen) for item in items]
    now = timezone.now().isoformat(timespec="milliseconds")
    message = {
        "transaction_id": envelope.transaction_id,
        "correlation_id": str(correlation_id),
        "search_response": [o.response(now) for o in outcomes],
    }
    return message, outcomes


def answer_logged(logged, envelope, items: list[Any], path: str) -> tuple[dict, int]:
    """Answer the batch of a logged call (sync, or from its callback job) with the partner's
    rights of now: the SearchResponse message and how many requests succeeded. The log keeps
    each request's outcome (`note`), and a partner that sees personal data has the read
    recorded (`core.audit`)."""
    user = logged.partner.user
    access = access_for(user)
    message, outcomes = answer(envelope, items, access, logged.pk)
    note(logged, outcomes)
    if access.can(Perm.VIEW_PERSONAL):
        record_personal_read(
            user,
            PersonalDataRead.Channel.DCI,
            path,
            logged.records,
            query=f"transaction {logged.transaction_id} ({logged.pk})",
        )
    return message, sum(1 for o in outcomes if o.status == Status.SUCCEEDED)


def note(logged, outcomes: list[Outcome]) -> None:
    """What the log keeps of the answer: each request's status and counts, the ids returned."""
    logged.outcomes = [o.logged() for o in outcomes]
    logged.record_ids = [i for o in outcomes for i in o.record_ids]
    logged.records = len(logged.record_ids)
    logged.save(update_fields=["outcomes", "record_ids", "records"])
