"""The admin's door, held to the same rules as the API's.

- Rights come from the role table (core.access), not from Django's per-model permissions:
  a staff user sees a page when their role may view it, and changes what their role may write.
- Rows come from the user's area (`area_paths`), in lists, change forms, history and inlines.
- Personal data is masked as in the API (core.personal): hidden columns, fields, search,
  filters by them in the address, and history for roles without the right.
- Every write goes through a service (`write`), which checks role, area, version and domain
  rules again; a refused write changes nothing and comes back as a message.
- Nothing is deleted here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from admin_auto_filters.filters import AutocompleteFilter, AutocompleteFilterFactory
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import get_fields_from_path, unquote
from django.contrib.admin.widgets import AutocompleteSelect, ForeignKeyRawIdWidget
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Model
from django.db.models.constants import LOOKUP_SEP
from django.http import Http404, HttpResponseRedirect
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core import audit
from core.access import Access, Perm, access_for
from core.errors import DomainError
from core.formatting import EMPTY, format_date, format_vnd
from core.models import PersonalDataRead
from core.personal import personal_fields

# The version of each row a changelist showed, posted with an action (RoleAdmin.seen_version).
SEEN_VERSION = "_seen_version"


class VersionedForm(forms.ModelForm):
    """A change form that carries the version it was based on, so that a save over someone
    else's newer change is refused (StaleVersion), as with If-Match in the API."""

    based_on_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.instance._state.adding:
            self.fields["based_on_version"].initial = self.instance.version


def refused(exc: DomainError, model: type[Model] | None = None) -> str:
    """A service's refusal as the admin's message: its fields named by their labels on
    `model` (an officer reads "năm", not `year`); a name that is no field of it (a nested
    path, a header) as the service gave it."""
    named: dict[str, list[str]] = {}  # fields refused for the same reason, named together
    for field, reasons in exc.fields.items():
        named.setdefault(" ".join(reasons), []).append(_label(model, field))
    details = "; ".join(f"{', '.join(fields)}: {message}" for message, fields in named.items())
    said = gettext("Nothing was saved: %(detail)s") % {"detail": exc.detail}
    return said + (f" ({details})" if details else "")


def _label(model: type[Model] | None, name: str) -> str:
    """A field's label on `model`, a nested path's too (`members.0.date_of_birth` → "member 1
    › date of birth"); the name as given when it is no path of fields of the model."""
    labels: list[str] = []
    for part in name.split("."):
        if part.isdigit() and labels:
            labels[-1] += f" {int(part) + 1}"
            continue
        try:
            field = model._meta.get_field(part) if model is not None else None
        except FieldDoesNotExist:
            field = None
        if field is None:
            return name
        if field.is_relation and field.related_model is not None and field.one_to_many:
            model = field.related_model  # a reverse relation: its rows' own fields follow
            labels.append(str(model._meta.verbose_name))
        else:
            labels.append(str(field.verbose_name))
    return " › ".join(labels)


class RoleRights:
    """Permissions from the role table, masking from core.personal (admins and inlines)."""

    view_perm: Perm = Perm.VIEW
    add_perm: Perm | None = None
    change_perm: Perm | None = None

    def access(self, request) -> Access:
        return access_for(request.user)

    def _can(self, request, perm: Perm | None) -> bool:
        user = request.user
        return bool(
            perm is not None and user.is_active and user.is_staff and self.access(request).can(perm)
        )

    def has_view_permission(self, request, obj=None) -> bool:
        return self._can(request, self.view_perm) or self.has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return self._can(request, self.add_perm)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._can(request, self.change_perm)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def hidden(self, request) -> frozenset[str]:
        """The personal fields this user may not see on this model."""
        if self.access(request).can(Perm.VIEW_PERSONAL):
            return frozenset()
        return personal_fields(self.model)

    def _shows(self, name, hidden: frozenset[str]) -> bool:
        """Whether a field, or a display method (`money`, `day`, `shows`) reading one, may be
        shown when `hidden` are hidden."""
        if not isinstance(name, str):
            return getattr(name, "source_field", None) not in hidden
        if name in hidden:
            return False
        return getattr(getattr(self, name, None), "source_field", None) not in hidden

    def get_fields(self, request, obj=None):
        hidden = self.hidden(request)
        return [f for f in super().get_fields(request, obj) if self._shows(f, hidden)]

    def get_readonly_fields(self, request, obj=None):
        hidden = self.hidden(request)
        return [f for f in super().get_readonly_fields(request, obj) if self._shows(f, hidden)]


def reads_personal(model: type[Model], lookup: str) -> bool:
    """Whether the lookup path (`household__address__startswith`) reads a personal field
    (core.personal) of the model or of a model it leads to."""
    for part in lookup.split(LOOKUP_SEP):
        if part in personal_fields(model):
            return True
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return False  # a transform or a lookup (`gte`): the path ends here
        if field.related_model is None:
            return False
        model = field.related_model
    return False


class RoleInline(RoleRights):
    """Mix into an InlineModelAdmin: its rows are written by the parent admin's `write`."""


class UnitFilter(AutocompleteFilter):
    """A list filter by commune or village with the admin's autocomplete: the choices come from
    the unit's own admin page (geo.admin), which offers only the units in the user's area
    (the country has 3,321 communes; a list of them all is not a filter)."""

    def _add_media(self, model_admin, widget) -> None:
        """The page's media come from RoleAdmin.media (the package would change the admin
        class's Media for every page)."""


def unit_filters(
    commune_path: str | None = "commune", village_path: str | None = "village"
) -> list[type[UnitFilter]]:
    """Autocomplete filters by commune and village for a list whose rows lead to them by
    these paths (`?commune=<code>`, `?village=<id>`)."""
    filters = []
    for path, title in ((commune_path, _("commune")), (village_path, _("village"))):
        if path:
            made = AutocompleteFilterFactory(title, path, viewname=None)
            filters.append(type(f"{path.title().replace('__', '')}Filter", (made, UnitFilter), {}))
    return filters


class InAreaRawIdWidget(ForeignKeyRawIdWidget):
    """The raw-id widget, labelling only a row of `queryset` (the user's area): an id outside
    it is shown as an unknown one, with no label (Django's reads the whole table)."""

    def __init__(self, rel, admin_site, queryset, **kwargs):
        super().__init__(rel, admin_site, **kwargs)
        self.queryset = queryset

    def label_and_url_for_value(self, value):
        try:
            inside = self.queryset.filter(**{self.rel.get_related_field().name: value}).exists()
        except (ValueError, ValidationError):
            inside = False
        return super().label_and_url_for_value(value) if inside else ("", "")


class InAreaRelations:
    """Mix into a RoleAdmin or RoleInline: the foreign keys named in `area_relations` offer,
    accept and label only rows the user may see; an id outside them is refused as an unknown
    one (Django's admin takes the related model's whole table, in choices, raw-id labels and
    validation). A field's rule is the paths from the related row to its commune and village
    (as `area_paths`), or a function of the user's access giving the rows (e.g. users)."""

    area_relations: dict[str, tuple[str, str | None] | Callable[[Access], Any]] = {}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        rule = self.area_relations.get(db_field.name)
        if rule is not None:
            access = self.access(request)
            if callable(rule):
                queryset = rule(access)
            else:
                model = db_field.remote_field.model
                queryset = model._default_manager.filter(access.area_q(*rule))
            kwargs["queryset"] = queryset.using(kwargs.get("using"))
            if db_field.name in self.raw_id_fields and "widget" not in kwargs:
                kwargs["widget"] = InAreaRawIdWidget(
                    db_field.remote_field, self.admin_site, queryset, using=kwargs.get("using")
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class RoleAdmin(RoleRights, admin.ModelAdmin):
    """Base of every admin page (see the module docstring). `area_paths` leads from a row to
    its commune and village; None for data that belongs to no commune (catalogs, standards)."""

    area_paths: tuple[str, str | None] | None = None
    show_full_result_count = False

    @property
    def media(self):
        media = super().media + forms.Media(css={"all": ["core/admin.css"]})
        units = [f for f in self.list_filter if isinstance(f, type) and issubclass(f, UnitFilter)]
        if units:
            field = get_fields_from_path(self.model, units[0].parameter_name)[-1]
            widget = AutocompleteSelect(field, self.admin_site)
            media += widget.media + forms.Media(js=UnitFilter.Media.js, css=UnitFilter.Media.css)
        return media

    # The service that writes a record of this page whole (form fields as `values`):
    # save_service(actor=..., <instance_kwarg>=None or the record, values=...). Pages whose
    # writes take more (inlines, versions) define `write` instead.
    save_service: staticmethod | None = None
    instance_kwarg = ""

    def has_module_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if self.area_paths is not None:
            qs = qs.filter(self.access(request).area_q(*self.area_paths))
        return qs

    def get_list_display(self, request):
        hidden = self.hidden(request)
        return [f for f in super().get_list_display(request) if self._shows(f, hidden)]

    def get_search_fields(self, request):
        hidden = self.hidden(request)
        return [f for f in super().get_search_fields(request) if f.split("__")[0] not in hidden]

    def lookup_allowed(self, lookup, value, request) -> bool:
        """Django's lists take a lookup on any field of the model's own from the address
        (`?date_of_birth__gte=…`, `?full_name__startswith=…`): one that reads a personal
        field is refused (400) to a role that may not read it, as its column and search are
        hidden: which rows match would tell it."""
        if not self.access(request).can(Perm.VIEW_PERSONAL) and reads_personal(self.model, lookup):
            return False
        return super().lookup_allowed(lookup, value, request)

    # -------------------------------------------------------------- writes

    def write(self, request, form, formsets, change: bool) -> Model:
        """Write the change through a service and return the saved row."""
        if self.save_service is None:
            raise NotImplementedError(f"{type(self).__name__} writes nothing")
        return self.save_service(
            actor=request.user,
            **{self.instance_kwarg: form.instance if change else None},
            values=cleaned(form, editable_fields(self.model)),
        )

    def save_model(self, request, obj, form, change) -> None:
        """Nothing here: the whole change (form and inlines) is one service call, in
        save_related."""

    def save_related(self, request, form, formsets, change) -> None:
        saved = self.write(request, form, formsets, change)
        # The admin goes on with form.instance (change message, redirect): make it the row.
        for f in saved._meta.concrete_fields:
            setattr(form.instance, f.attname, getattr(saved, f.attname))
        form.instance._state.adding = False
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:  # rolled back by the view's transaction
            self.message_user(request, refused(exc, self.model), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def changelist_view(self, request, extra_context=None):
        try:
            response = super().changelist_view(request, extra_context)
        except DomainError as exc:
            self.message_user(request, refused(exc, self.model), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None and personal_fields(self.model) and not self.hidden(request):
            audit.record_personal_read(
                request.user,
                "admin",
                request.path,
                len(changelist.result_list),
                request.META.get("QUERY_STRING", ""),
            )
        return response

    def action_checkbox(self, obj):
        """The row's checkbox and, for a versioned record, the version this list shows: an
        action then acts on what the officer saw (`seen_version`)."""
        box = super().action_checkbox(obj)
        version = getattr(obj, "version", None)
        if version is None:
            return box
        return format_html(
            '{}<input type="hidden" name="{}" value="{}:{}">', box, SEEN_VERSION, obj.pk, version
        )

    def seen_version(self, request, row) -> int:
        """The version of `row` that the list showed when the officer chose the action, as
        the API's If-Match: a row changed since is refused as stale, not acted on unseen. A
        row the list did not show (all rows chosen across pages) is taken as it is now."""
        for value in request.POST.getlist(SEEN_VERSION):
            pk, _sep, version = value.rpartition(":")
            if pk == str(row.pk) and version.isdigit():
                return int(version)
        return row.version

    def run_each(self, request, queryset, step, done: str | None = None) -> None:
        """An admin action: `step(row)` through a service for each selected row, each on its
        own; refusals are reported, the rest go on. A step of a versioned record passes
        `seen_version` as the version it expects."""
        for row in queryset:
            try:
                step(row)
            except DomainError as exc:
                self.message_user(request, f"{row}: {exc.detail}", messages.ERROR)
            else:
                self.message_user(request, f"{row}: {done or _('done')}.", messages.SUCCESS)


class RoleHistoryAdmin(RoleAdmin, SimpleHistoryAdmin):
    """A RoleAdmin with simple-history's history pages, limited to rows in the area, and for
    models with personal data to roles that may read it (the API's history has the same
    rule)."""

    def _require_history(self, request, object_id) -> None:
        if self.hidden(request):
            raise PermissionDenied
        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        self._require_history(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._require_history(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


def editable_fields(model, *skip: str) -> tuple[str, ...]:
    """The fields of `model` a form edits (not the key, not those named in `skip`)."""
    return tuple(
        f.name
        for f in model._meta.fields
        if f.editable and not f.primary_key and f.name not in skip
    )


def changed(form, names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """The cleaned values of the fields among `names` that the user changed."""
    return {k: form.cleaned_data[k] for k in names if k in form.changed_data}


def cleaned(form, names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """The cleaned values of the fields among `names` present in the form."""
    return {k: form.cleaned_data[k] for k in names if k in form.cleaned_data}


# ------------------------------------------------------------------ display helpers


def money(field: str, description=None, *, ordering: bool = True) -> Callable[[Any, Any], str]:
    """A display method showing the integer VND field `field` as `206.100.672 ₫` (in lists
    and as a read-only field); hidden with the field when it is personal."""

    def show(self, obj) -> str:
        return format_vnd(getattr(obj, field))

    show.source_field = field
    return admin.display(
        description=description or field.replace("_", " "), ordering=field if ordering else None
    )(show)


def day(field: str, description=None) -> Callable[[Any, Any], str]:
    """A display method showing the date (or date-time) field `field` as `dd/mm/yyyy`."""

    def show(self, obj) -> str:
        return format_date(getattr(obj, field))

    show.source_field = field
    return admin.display(description=description or field.replace("_", " "), ordering=field)(show)


def shows(field: str):
    """Marks a display method as reading the (maybe personal) field `field`."""

    def mark(method):
        method.source_field = field
        return method

    return mark


def table(headers: Sequence[Any], rows: Iterable[Sequence[Any]], *, empty=None) -> SafeString:
    """An HTML table of `rows` (each cell escaped unless already safe), for JSON and related
    records shown read-only; `empty` (default: "None") when there is no row."""
    rows = list(rows)
    if not rows:
        return format_html("<p class='officers-empty'>{}</p>", empty or _("None"))
    head = format_html_join("", "<th scope='col'>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        (
            (format_html_join("", "<td>{}</td>", ((EMPTY if c in (None, "") else c,) for c in r)),)
            for r in rows
        ),
    )
    return format_html(
        "<table class='officers-table'><thead><tr>{}</tr></thead><tbody>{}</tbody></table>",
        head,
        body,
    )


def yes_no(value: bool | None) -> str:
    """True / False / None as Yes / No / Unknown."""
    return {True: _("Yes"), False: _("No")}.get(value, _("Unknown"))


@admin.register(PersonalDataRead)
class PersonalDataReadAdmin(RoleAdmin):
    """Who read personal data in bulk (lists, feed, exports): for auditors, read-only."""

    list_display = ["at", "user", "channel", "resource", "query", "records"]
    list_filter = ["channel"]
    list_select_related = ["user"]
    search_fields = ["user__username", "resource"]
    readonly_fields = [f.name for f in PersonalDataRead._meta.fields]
    date_hierarchy = "at"
    view_perm = Perm.AUDIT_READS
