from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination as BaseCursorPagination

from core.text import text_problem

from .fields import IntegerField

# A list whose queryset is annotated with this key (a unique, totally ordered text: a ranked
# search's rank, then its tie-breakers; households.search) pages by it instead of the view's
# fixed ordering.
RANKED_KEY = "search_key"


class CursorPagination(BaseCursorPagination):
    """Cursor pagination on each view's deterministic ordering (or a ranked search's
    `RANKED_KEY`): no COUNT(*), no deep OFFSET.

    A `page_size` outside 1..max_page_size, or a cursor this API did not write, is a 400
    naming the parameter."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_ordering(self, request, queryset, view):
        if RANKED_KEY in queryset.query.annotations:
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
