from rest_framework.pagination import CursorPagination as BaseCursorPagination


class CursorPagination(BaseCursorPagination):
    """Cursor pagination on each view's deterministic ordering: no COUNT(*), no deep OFFSET."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_ordering(self, request, queryset, view):
        ordering = getattr(view, "ordering", None)
        if ordering is None:
            return super().get_ordering(request, queryset, view)
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)
