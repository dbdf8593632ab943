from __future__ import annotations

from typing import Protocol

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination as BaseCursorPagination

from core.text import text_problem

from .fields import IntegerField

# A list whose queryset is annotated with this key (a unique, totally ordered text: a ranked
# search's rank, then its tie-breakers; households.search) pages by it instead of the view's
# fixed ordering.
RANKED_KEY = "search_key"


class Tiers(Protocol):
    """A ranked search that reads a page rank by rank (households.search.RankedSearch)."""

    def page(self, after: str | None, reverse: bool, limit: int) -> list:
        """Up to `limit` rows whose key comes after `after` (reverse: before it), in key
        order (reverse: descending). A position it cannot have written raises ValueError."""
        ...


def by_tiers(queryset: QuerySet, tiers: Tiers) -> QuerySet:
    """`queryset` (every match, ordered by RANKED_KEY), marked so that the paginator reads
    its pages from `tiers` instead. Only this very queryset is: a copy (another filter, an
    ordering) is paged as one query again, correct but reading every match."""
    queryset._ranked_tiers = tiers
    return queryset


class _TieredRows:
    """What CursorPagination.paginate_queryset does with a queryset (order it by the key or
    its reverse, keep the rows past the cursor's position, slice), done by `Tiers.page`."""

    def __init__(self, tiers: Tiers, reverse: bool = False, after: str | None = None) -> None:
        self.tiers, self.reverse, self.after = tiers, reverse, after

    def order_by(self, field: str) -> _TieredRows:
        return _TieredRows(self.tiers, field.startswith("-"), self.after)

    def filter(self, **lookup: str) -> _TieredRows:
        [(name, position)] = lookup.items()
        assert name == f"{RANKED_KEY}__{'lt' if self.reverse else 'gt'}", name
        return _TieredRows(self.tiers, self.reverse, position)

    def __getitem__(self, window: slice) -> list:
        return self.tiers.page(self.after, self.reverse, window.stop)[window.start :]


class CursorPagination(BaseCursorPagination):
    """Cursor pagination on each view's deterministic ordering (or a ranked search's
    `RANKED_KEY`): no COUNT(*), no deep OFFSET.

    A `page_size` outside 1..max_page_size, or a cursor this API did not write, is a 400
    naming the parameter."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_ordering(self, request, queryset, view):
        if isinstance(queryset, _TieredRows) or RANKED_KEY in queryset.query.annotations:
            return (RANKED_KEY,)
        ordering = getattr(view, "ordering", None)
        if ordering is None:
            return super().get_ordering(request, queryset, view)
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        field = IntegerField(min_value=1, max_value=self.max_page_size)
        try:
            return field.run_validation(raw)
        except ValidationError as exc:
            raise ValidationError({self.page_size_query_param: exc.detail}) from None

    def _invalid_cursor(self) -> ValidationError:
        return ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise self._invalid_cursor() from None
        if cursor is not None and cursor.position is not None and text_problem(cursor.position):
            raise self._invalid_cursor()
        return cursor

    def paginate_queryset(self, queryset, request, view=None):
        tiers = getattr(queryset, "_ranked_tiers", None)
        if tiers is not None:
            queryset = _TieredRows(tiers)
        try:
            return super().paginate_queryset(queryset, request, view)
        except (DjangoValidationError, ValueError, OverflowError):
            # A position that is no value of the ordering column (not a UUID, a date out of
            # range...): raised while the filter is built, before any query is sent.
            if request.query_params.get(self.cursor_query_param) is None:
                raise
            raise self._invalid_cursor() from None

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        for link, page in (("next", "next"), ("previous", "previous")):
            paginated["properties"][link] = {
                "type": "string",
                "format": "uri",
                "nullable": True,
                "description": f"The URL of the {page} page: this list's URL with its `cursor`; "
                f"null when there is no {page} page.",
            }
        return paginated
