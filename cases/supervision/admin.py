"""The findings page: a list with filters; a finding is resolved here (status and note)
through the same service as the API, based on the version the form showed."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cases.models import Finding
from core.access import Perm
from core.admin import RoleHistoryAdmin, VersionedForm
from core.languages import in_language

from . import services
from .choices import RESOLVED


class FindingForm(VersionedForm):
    class Meta:
        model = Finding
        fields = ["status", "resolution_note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "status" in self.fields:
            self.fields["status"].choices = [(s.value, s.label) for s in RESOLVED]


@admin.register(Finding)
class FindingAdmin(RoleHistoryAdmin):
    """Findings of the area; resolved by changing status with a note (confirmed, corrected,
    dismissed)."""

    form = FindingForm
    list_display = ["rule", "commune", "period", "status", "reason", "last_seen"]
    list_filter = ["status", "rule", "period", "commune"]
    list_select_related = ["commune"]
    search_fields = ["reason_en", "reason_vi"]
    area_paths = ("commune", None)
    view_perm = Perm.FINDINGS_VIEW
    change_perm = Perm.FINDINGS_RESOLVE
    readonly_fields = [
        f.name for f in Finding._meta.fields if f.name not in ("status", "resolution_note")
    ]

    @admin.display(description=_("reason"))
    def reason(self, obj: Finding) -> str:
        """The reason in the officer's language (both are stored)."""
        return in_language(obj.reason_vi, obj.reason_en)

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # findings come from the scan

    def write(self, request, form, formsets, change: bool) -> Finding:
        return services.finding_resolve(
            finding=form.instance,
            expected_version=form.cleaned_data.get("based_on_version"),
            actor=request.user,
            status=form.cleaned_data["status"],
            note=form.cleaned_data.get("resolution_note", ""),
        )
