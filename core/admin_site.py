"""The admin site: Django's own, with its autocomplete (the search box of a form's household
or member field) recorded as a read of personal data where its labels show some, as a list
page is (core.admin.RoleAdmin.changelist_view)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView

from core import audit
from core.personal import personal_fields


class RecordedAutocomplete(AutocompleteJsonView):
    """Rows are labelled by the searched model's `__str__`: a household by its code and its
    head's name, a member by name, where the user may read personal data."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        admin_ = self.model_admin
        rows = len(context["object_list"])
        hidden = admin_.hidden(self.request) if hasattr(admin_, "hidden") else frozenset()
        if rows and personal_fields(admin_.model) and not hidden:
            audit.record_personal_read(
                self.request.user,
                "admin",
                self.request.path,
                rows,
                self.request.META.get("QUERY_STRING", ""),
            )
        return context


class AdminSite(admin.AdminSite):
    def autocomplete_view(self, request):
        return RecordedAutocomplete.as_view(admin_site=self)(request)
