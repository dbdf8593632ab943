from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.access import Perm
from core.admin import (
    InAreaRelations,
    RoleAdmin,
    RoleHistoryAdmin,
    RoleInline,
    VersionedForm,
    changed,
    cleaned,
    day,
    shows,
    table,
    unit_filters,
)
from core.errors import InvalidInput

from . import services
from .choices import DuplicateStatus, HouseholdStatus, MemberStatus, Relationship, Source
from .identity import citizen_id_errors
from .models import DuplicateCandidate, Household, Member
from .selectors import (
    HOUSEHOLD_CODE,
    HOUSEHOLD_FIELDS,
    duplicates_in_area,
    households_in_area,
    redact_codes,
)

# ---------------------------------------------------------------- the household page's sections
#
# The household page shows what the apps above the register hold about the household (its
# poverty status, surveys, assessments, support, case) without this app importing them: each
# app's admin module registers a read-only section here. A section only reads; every change
# still goes through that record's own page and its service.


@dataclass(frozen=True)
class Section:
    """A read-only table on the household page. `rows(request, household)` returns the rows
    (cells are escaped unless safe, e.g. `link`); shown when the user may view `model`'s
    admin page. The household comes from the page's area-scoped queryset."""

    title: Any
    model: type
    headers: Sequence[Any]
    rows: Callable[[Any, Household], list[Sequence[Any]]]
    order: int = 100
    empty: Any = None


HOUSEHOLD_SECTIONS: list[Section] = []


def household_section(
    title, *, model: type, headers: Sequence[Any], order: int = 100, empty=None
) -> Callable:
    """Decorator registering `rows(request, household)` as a section of the household page."""

    def register(rows: Callable[[Any, Household], list[Sequence[Any]]]):
        HOUSEHOLD_SECTIONS.append(Section(title, model, tuple(headers), rows, order, empty))
        HOUSEHOLD_SECTIONS.sort(key=lambda s: s.order)
        return rows

    return register


def link(obj, text=None):
    """A link to `obj`'s admin page, showing `text` (default: the object)."""
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html("<a href='{}'>{}</a>", url, obj if text is None else text)


def rendered_sections(request, household: Household) -> list[dict]:
    """The sections this user may see, as (title, table) for the template."""
    shown = []
    for section in HOUSEHOLD_SECTIONS:
        if not admin.site.is_registered(section.model):
            continue
        if not admin.site.get_model_admin(section.model).has_view_permission(request):
            continue
        rows = section.rows(request, household)
        shown.append(
            {
                "title": section.title,
                "table": table(section.headers, rows, empty=section.empty),
                "count": len(rows),
            }
        )
    return shown


class HistoryInArea:
    """History pages read by the rule of the API's history (households.selectors.
    household_history, docs/security.md §3): nothing of a household outside the user's area.
    Its code in a change reason is replaced, its id in a change (a member's household, the
    household a merged one went into) is shown as empty, and a member's pages hold only what
    was recorded while they lived in the area (`history_area_paths`): a past version from
    elsewhere is as one that does not exist (404). Whoever's area holds them sees them."""

    history_area_paths: tuple[str, str] | None = None

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        qs = super().get_history_queryset(request, history_manager, pk_name, object_id)
        if self.history_area_paths is not None:
            qs = qs.filter(self.access(request).area_q(*self.history_area_paths))
        return qs

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if self.history_area_paths is not None:
            self._require_history(request, object_id)
            rows = self.get_history_queryset(
                request, self.model.history, self.model._meta.pk.attname, unquote(object_id)
            )
            if not str(version_id).isdigit() or not rows.filter(history_id=version_id).exists():
                raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        super().set_history_delta_changes(request, historical_records, foreign_keys_are_objs)
        access = self.access(request)
        if access.everywhere:
            return
        records = list(historical_records)
        fields = {
            str(capfirst(self.model._meta.get_field(name).verbose_name)): name
            for name in HOUSEHOLD_FIELDS[self.model]
        }
        ids = {getattr(r, name) for r in records for name in fields.values()} - {None}
        codes = {c for r in records for c in HOUSEHOLD_CODE.findall(r.history_change_reason or "")}
        inside_ids, inside_codes = households_in_area(access, ids, codes)
        for newer, older in pairwise(records):
            for change in getattr(newer, "history_delta_changes", None) or ():
                name = fields.get(str(change["field"]))
                for side, record in (("old", older), ("new", newer)):
                    if name and getattr(record, name) not in {None, *inside_ids}:
                        change[side] = self.get_empty_value_display()
        for record in records:
            record.history_change_reason = redact_codes(record.history_change_reason, inside_codes)


class MemberInlineForm(VersionedForm):
    class Meta:
        model = Member
        fields = "__all__"


class MemberInlineFormSet(forms.BaseInlineFormSet):
    """Early, per-row errors for what the service will check again: one present head, and
    citizen IDs consistent with sex and birth date."""

    def clean(self):
        super().clean()
        heads = 0
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data:
                continue
            if (
                data.get("relationship") == Relationship.HEAD
                and data.get("status", MemberStatus.PRESENT) == MemberStatus.PRESENT
            ):
                heads += 1
            if data.get("citizen_id"):
                errors = citizen_id_errors(
                    data["citizen_id"],
                    sex=data.get("sex"),
                    date_of_birth=data.get("date_of_birth"),
                    translate=gettext,
                )
                if errors:
                    form.add_error("citizen_id", errors)
        if heads != 1 and self.instance.status == "active":
            raise forms.ValidationError(
                gettext("An active household has exactly one present head (found %(heads)s).")
                % {"heads": heads}
            )


def closed(household: Household | None) -> bool:
    """A closed household (moved out, dissolved, merged) is a record of the past: the
    services refuse any change to it or its members (households.services._assert_active),
    so its pages are drawn read-only rather than as forms whose save would be refused."""
    return household is not None and household.status != HouseholdStatus.ACTIVE


class MemberInline(RoleInline, admin.TabularInline):
    model = Member
    form = MemberInlineForm
    formset = MemberInlineFormSet
    extra = 0
    fields = [*Member.EDITABLE, "based_on_version"]
    show_change_link = True
    add_perm = change_perm = Perm.REGISTRY_EDIT

    def has_add_permission(self, request, obj=None) -> bool:  # obj: the household
        return super().has_add_permission(request, obj) and not closed(obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not closed(obj)


def _member_inputs(formsets) -> list[services.MemberInput]:
    """The inline rows as the service takes them: new members whole, changed ones by id with
    the version they were based on and only what changed."""
    members = []
    for formset in formsets:
        for form in formset.forms:
            if not form.has_changed() or not getattr(form, "cleaned_data", None):
                continue
            if form.instance._state.adding:
                members.append(services.MemberInput(values=cleaned(form, Member.EDITABLE)))
            else:
                members.append(
                    services.MemberInput(
                        id=form.instance.pk,
                        version=form.cleaned_data.get("based_on_version"),
                        values=changed(form, Member.EDITABLE),
                    )
                )
    return members


class UrbanFilter(admin.SimpleListFilter):
    title = _("urban / rural")
    parameter_name = "urban"

    def lookups(self, request, model_admin):
        return [("1", _("Urban")), ("0", _("Rural"))]

    def queryset(self, request, queryset):
        if self.value() in ("0", "1"):
            return queryset.filter(commune__is_urban=self.value() == "1")
        return queryset


class HouseholdForm(VersionedForm):
    class Meta:
        model = Household
        fields = "__all__"


def head_names():
    """The name of each household's present head (one indexed subquery per row)."""
    heads = Member.objects.filter(
        household=OuterRef("pk"), relationship=Relationship.HEAD, status=MemberStatus.PRESENT
    )
    return Subquery(heads.values("full_name")[:1])


def _searched(request, queryset, search_term: str, search: Callable) -> tuple[Any, bool]:
    """The admin's search box: the register's search, or, for a query beyond its limits
    (households.search.query_problem), nothing found and the reason as a message."""
    try:
        return search(queryset, search_term), False
    except InvalidInput as exc:
        messages.error(request, exc.detail)
        return queryset.none(), False


@admin.register(Household)
class HouseholdAdmin(HistoryInArea, InAreaRelations, RoleHistoryAdmin):
    form = HouseholdForm
    change_form_template = "admin/households/household/change_form.html"
    list_display = [
        "code",
        "head",
        "commune",
        "village",
        "address",
        "status",
        "source",
        "updated",
    ]
    list_filter = [UrbanFilter, "status", "source", *unit_filters()]
    list_select_related = ["commune", "village"]
    search_fields = ["code"]
    search_help_text = _("Code, address, member name or citizen ID; diacritics optional.")
    readonly_fields = [
        "code",
        "source",
        "status",
        "status_reason",
        "status_date",
        "version",
        "merged_into_in_area",
        "created_at",
        "updated_at",
    ]
    exclude = ["merged_into"]  # shown as merged_into_in_area
    autocomplete_fields = ["commune", "village"]
    area_relations = {"village": ("commune", "pk")}  # another area's: an unknown id
    inlines = [MemberInline]
    area_paths = ("commune", "village")
    add_perm = change_perm = Perm.REGISTRY_EDIT

    updated = day("updated_at", _("updated"))

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not closed(obj)

    def get_readonly_fields(self, request, obj=None):
        # The page's household (or a past version of it, history_form_view) learns here,
        # where the request is known, whether the household it went into is in the area.
        if obj is not None and obj.merged_into_id and not hasattr(obj, "_merged_into_shown"):
            inside, _ = households_in_area(self.access(request), {obj.merged_into_id}, set())
            obj._merged_into_shown = bool(inside)
        return super().get_readonly_fields(request, obj)

    @admin.display(description=_("merged into"))
    def merged_into_in_area(self, obj):
        """The household this one was merged into, unless it is outside the user's area
        (then nothing, as the API's history shows no id or code of it)."""
        if obj.merged_into_id is None or not getattr(obj, "_merged_into_shown", False):
            return self.get_empty_value_display()
        return link(obj.merged_into, obj.merged_into.code)

    @admin.display(description=_("head of household"))
    @shows("address")  # personal: shown with the other personal columns
    def head(self, obj) -> str:
        return getattr(obj, "head_name", None) or "—"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if not self.hidden(request):  # the head's name: the title and the list's column
            qs = qs.annotate(head_name=head_names())
        return qs

    def change_view(self, request, object_id, form_url="", extra_context=None):
        household = self.get_object(request, object_id)
        # outside the area: None (the admin's own redirect follows); without the right: 403
        if household is not None and self.has_view_or_change_permission(request, household):
            extra_context = {
                **(extra_context or {}),
                "household_sections": rendered_sections(request, household),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_search_results(self, request, queryset, search_term):
        if not search_term:
            return queryset, False
        if self.hidden(request):  # no search by names or IDs without personal-data rights
            return queryset.filter(code__startswith=search_term.strip()), False
        return _searched(request, queryset, search_term, services.household_queryset_search)

    def write(self, request, form, formsets, change):
        members = _member_inputs(formsets)
        if not change:
            return services.household_register(
                actor=request.user,
                data=services.HouseholdInput(
                    values=cleaned(form, Household.EDITABLE), members=members
                ),
                source=Source.ADMIN,
            )
        return services.household_update(
            actor=request.user,
            household=form.instance,
            expected_version=form.cleaned_data.get("based_on_version"),
            data=services.HouseholdInput(
                values=changed(form, Household.EDITABLE), members=members or None
            ),
        )


class MemberForm(VersionedForm):
    class Meta:
        model = Member
        fields = "__all__"


@admin.register(Member)
class MemberAdmin(HistoryInArea, RoleHistoryAdmin):
    """Members are added with their household (the household's page); changed here."""

    form = MemberForm
    list_display = [
        "full_name",
        "born",
        "sex",
        "ethnicity",
        "relationship",
        "household",
        "status",
    ]
    list_filter = [
        "status",
        "sex",
        "relationship",
        "ethnicity",
        *unit_filters("household__commune", "household__village"),
    ]
    list_select_related = ["household", "ethnicity"]
    search_fields = ["citizen_id"]
    readonly_fields = ["household", "external_id", "version", "created_at", "updated_at"]
    area_paths = ("household__commune", "household__village")
    history_area_paths = area_paths  # the changes made while they lived in the area
    change_perm = Perm.REGISTRY_EDIT

    born = day("date_of_birth", _("date of birth"))

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not closed(obj and obj.household)

    def get_search_results(self, request, queryset, search_term):
        if not search_term or self.hidden(request):
            return queryset, False
        return _searched(request, queryset, search_term, services.member_queryset_search)

    def write(self, request, form, formsets, change):
        return services.member_update(
            actor=request.user,
            member=form.instance,
            expected_version=form.cleaned_data.get("based_on_version"),
            values=changed(form, Member.EDITABLE),
        )


@admin.register(DuplicateCandidate)
class DuplicateCandidateAdmin(RoleAdmin):
    """Read here; dismissed with the action (resolved by merging households in the API)."""

    list_display = ["member_a", "member_b", "commune", "reason", "status", "detected_at"]
    list_filter = ["status", "reason", *unit_filters("commune", None)]
    list_select_related = ["member_a", "member_b", "commune"]
    area_paths = ("commune", None)
    view_perm = Perm.VIEW_PERSONAL  # the pair is two people's names side by side
    actions = ["dismiss"]

    def get_queryset(self, request):
        return duplicates_in_area(super().get_queryset(request), self.access(request))

    @admin.action(description=_("Dismiss: not the same person"))
    def dismiss(self, request, queryset):
        self.run_each(
            request,
            queryset.filter(status=DuplicateStatus.OPEN),
            lambda c: services.duplicate_dismiss(
                actor=request.user, candidate=c, note="Dismissed in the admin"
            ),
            done="dismissed",
        )


admin.site.site_header = _("Household poverty case management")
admin.site.site_title = _("Poverty case management")
