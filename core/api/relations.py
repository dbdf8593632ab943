"""References from a request body to rows that live in an area (households, members)."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .fields import PrimaryKeyRelatedField


class InAreaRelatedField(PrimaryKeyRelatedField):
    """A reference (by id) to a row inside the caller's area. A row outside the area reads as
    "does not exist", exactly as a GET of it would: a write tells the caller nothing more than
    a read. The serializer's context carries the caller's `access` (AreaScopedMixin puts it
    there; code that builds a serializer by hand passes it)."""

    def __init__(self, *, area_paths: tuple[str, str | None] = ("commune", "village"), **kwargs):
        self.area_paths = area_paths
        super().__init__(**kwargs)

    def get_queryset(self):
        access = self.context.get("access")
        if access is None:
            raise ImproperlyConfigured(
                f"{type(self.parent).__name__}.{self.field_name} needs `access` in its context."
            )
        return super().get_queryset().filter(access.area_q(*self.area_paths))
