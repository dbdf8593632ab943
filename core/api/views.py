"""Shared viewset behaviour: audit context, area scoping, personal-data visibility, versions."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.mixins import ListModelMixin
from rest_framework.response import Response

from core import audit
from core.access import Access, Perm, access_for
from core.errors import InvalidInput
from core.personal import personal_fields


def filterset_params(filterset_class) -> set[str]:
    """The query parameters a FilterSet reads (a range filter's `_min`/`_max`, ...)."""
    names: set[str] = set()
    for name, flt in filterset_class.base_filters.items():
        widget = flt.extra.get("widget") or flt.field_class.widget
        suffixes = getattr(widget, "suffixes", None)
        names |= {f"{name}_{x}" if x else name for x in suffixes} if suffixes else {name}
    return names


def declared_params(declared) -> set[str]:
    """Names from a serializer class (its fields), a FilterSet class, or a list of names."""
    if isinstance(declared, type) and issubclass(declared, serializers.BaseSerializer):
        return set(declared().fields)
    if isinstance(declared, type) and hasattr(declared, "base_filters"):
        return filterset_params(declared)
    return set(declared)


class KnownQueryParamsMixin:
    """A read refuses the query parameters it does not read:
    400 naming each (`Unknown parameter.`), instead of silently answering unfiltered; and so a
    parameter given with an empty value (`?village=`).

    Known: `format`, the paginator's (`cursor`, `page_size`), the filterset's, and what the
    view declares in `query_params` (a serializer class, a FilterSet class or names; for a
    viewset a dict by action)."""

    query_params: Any = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        known = self.known_query_params()
        if known is not None:
            unknown = sorted(set(request.query_params) - known)
            if unknown:
                raise ValidationError(
                    {name: [gettext("Unknown parameter.")] for name in unknown},
                    code="unknown_parameter",
                )
            empty = sorted(k for k, values in request.query_params.lists() if "" in values)
            if empty:
                message = gettext("Empty value: give a value, or leave the parameter out.")
                raise ValidationError({name: [message] for name in empty}, code="empty_parameter")

    def known_query_params(self) -> set[str] | None:
        """The names a read may carry (a detail takes none but `format`); None for writes."""
        if self.request.method not in ("GET", "HEAD"):
            return None
        action = getattr(self, "action", None)
        declared = self.query_params
        if isinstance(declared, dict):
            declared = declared.get(action)
        listing = action == "list" or (action is None and isinstance(self, ListModelMixin))
        known = {"format"}
        if declared is not None:
            known |= declared_params(declared)
        paginator = getattr(self, "paginator", None)
        if paginator is not None:
            for attr in ("cursor_query_param", "page_size_query_param", "page_query_param"):
                if getattr(paginator, attr, None):
                    known.add(getattr(paginator, attr))
        if listing:
            known |= self._filterset_params()
        return known

    def _filterset_params(self) -> set[str]:
        names: set[str] = set()
        for backend_class in getattr(self, "filter_backends", ()):
            backend = backend_class()
            if not hasattr(backend, "get_filterset_class"):
                continue
            # `filterset_fields` builds its FilterSet from the queryset's model (lazy: no query)
            needs_rows = getattr(self, "filterset_class", None) is None and getattr(
                self, "filterset_fields", None
            )
            filterset_class = backend.get_filterset_class(
                self, self.get_queryset() if needs_rows else None
            )
            if filterset_class is not None:
                names |= filterset_params(filterset_class)
        return names


class AuditedViewSetMixin(KnownQueryParamsMixin):
    """Every change made during the request is recorded with its user and channel.

    The channel is the way the change came in, which the endpoint decides (`audit_channel`:
    the API's, unless the view is the field apps' or the registry sync's), not the sender's
    role: a commune officer's field upload is a field-app change, an enumerator's PATCH of
    the API an API change.

    A 201 carries `Location`, the new resource's detail URL: the router's `<basename>-detail`
    for `create`, or the route an action names in `created_routes` (an action that creates
    another kind of record: `{"disburse": "disbursement-detail"}`)."""

    created_routes: dict[str, str] = {}
    audit_channel: str = audit.Channel.API

    @property
    def access(self) -> Access:
        return access_for(self.request.user)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self._audit_token = audit.begin(request.user, self.audit_channel)

    def finalize_response(self, request, response, *args, **kwargs):
        token = getattr(self, "_audit_token", None)
        if token is not None:
            audit.end(token)
            self._audit_token = None
            self._record_bulk_read(request, response)
        location = self._created_location(request, response)
        if location is not None:
            response["Location"] = location
        return super().finalize_response(request, response, *args, **kwargs)

    def _created_location(self, request, response) -> str | None:
        if response.status_code != status.HTTP_201_CREATED or response.has_header("Location"):
            return None
        data = getattr(response, "data", None)
        if not isinstance(data, dict) or data.get("id") is None:
            return None
        action = getattr(self, "action", None)
        route = self.created_routes.get(action)
        if route is None and action == "create" and getattr(self, "basename", None):
            route = f"{self.basename}-detail"
        if route is None:
            return None
        try:
            path = reverse(route, kwargs={"pk": data["id"]})
        except NoReverseMatch:
            return None
        return request.build_absolute_uri(path)

    def _record_bulk_read(self, request, response) -> None:
        """A list page that showed personal data is recorded: who read how many, and how."""
        if request.method != "GET" or response.status_code != 200:
            return
        data = getattr(response, "data", None)  # a file download has none
        rows = data.get("results") if isinstance(data, dict) else data
        if not isinstance(rows, list) or not rows or not self.access.can(Perm.VIEW_PERSONAL):
            return
        serializer_class = (
            self.get_serializer_class() if hasattr(self, "get_serializer_class") else None
        )
        model = getattr(serializer_class, "personal_model", None) or getattr(
            getattr(serializer_class, "Meta", None), "model", None
        )
        if model is not None and personal_fields(model):
            audit.record_personal_read(
                request.user,
                "list",
                request.path,
                len(rows),
                request.META.get("QUERY_STRING", ""),
            )


# The order of the lists of a household's records (members, surveys, assessments, support,
# cases...): by the household's code, then the record's id. The households' (commune, code)
# index and the record's household index serve a commune's page directly; ordered by id alone,
# PostgreSQL walks the record's primary key and drops the other communes' rows (0.1-1 s at
# 400,000 households; bench/plans.py fails on such a plan).
HOUSEHOLD_ORDER = ("household_code", "id")


class AreaScopedMixin(AuditedViewSetMixin):
    """Lists and details only show rows inside the user's area.

    `area_paths` names the lookups from the row to its commune and village; an object
    outside the area is answered 404 as if it did not exist.
    """

    # Restricted by default: every list and every `get_object` goes through
    # `filter_queryset`, so a view's `get_queryset` need not (and should not) scope.

    # None: the view's rows are not area data (the program tree) or it scopes them itself,
    # and says so in its own `get_queryset`.
    area_paths: tuple[str, str | None] | None = ("commune", "village")
    # Told in the OpenAPI document (core.api.schema); a view with `area_paths = None` says
    # its own.
    area_rule = (
        "Only records in your area (the provinces, communes or villages of your grant) are "
        "visible: a list leaves the others out, and an id outside your area answers 404 as if "
        "it did not exist. A body that names a record outside your area is refused as if that "
        "record did not exist."
    )

    def scope(self, queryset):
        if self.area_paths is None:
            return queryset
        commune_path, village_path = self.area_paths
        return queryset.filter(self.access.area_q(commune_path, village_path))

    def filter_queryset(self, queryset):
        queryset = self.scope(queryset)
        if getattr(self, "ordering", None) == HOUSEHOLD_ORDER:
            # the household's code, by the path to the household of `area_paths` (scoping
            # joins the household already); before the filters, which a search ends
            household = self.area_paths[0].removesuffix("commune")
            queryset = queryset.annotate(household_code=F(f"{household}code"))
        if getattr(self, "action", None) == "retrieve":
            # A detail takes no filter (KnownQueryParamsMixin refuses them): only the area
            # applies, without building the filter set (a fifth of a household's detail).
            return queryset
        return super().filter_queryset(queryset)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["access"] = self.access
        context["show_personal"] = self.access.can(Perm.VIEW_PERSONAL)
        return context


def expected_version(request) -> int | None:
    """The version an update is based on: `If-Match: "<n>"` or the body's `version`."""
    header = request.headers.get("If-Match")
    raw = header.strip().removeprefix("W/").strip('"') if header else request.data.get("version")
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise InvalidInput(
            gettext("Version %(raw)s is not a whole number.") % {"raw": f"{raw!r}"},
            fields={"version": gettext("Must be a whole number.")},
        ) from None


class ServiceWritesMixin:
    """Creates and updates of a record through its service, called as
    `save_service(actor=<user>, <instance_kwarg>=None or the record, values=<validated data>)`:
    the service checks role, area and domain rules."""

    save_service: staticmethod
    instance_kwarg: str

    def perform_create(self, serializer):
        self._save(serializer, None)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def _save(self, serializer, instance) -> None:
        serializer.instance = self.save_service(
            actor=self.request.user,
            **{self.instance_kwarg: instance},
            values=dict(serializer.validated_data),
        )


class VersionedResponsesMixin:
    """Detail responses carry the record's version as an ETag; state changes are explicit
    POST actions whose body is validated, then handed to a service step with the version
    the client based it on and the acting user."""

    detail_serializer_class: type | None = None
    step_subject = "instance"  # the keyword the services take the record under

    def respond(self, obj, code: int = status.HTTP_200_OK, fresh: bool = True) -> Response:
        if fresh:
            obj = self.get_queryset().get(pk=obj.pk)
        serializer = self.detail_serializer_class(obj, context=self.get_serializer_context())
        return Response(serializer.data, status=code, headers={"ETag": f'"{obj.version}"'})

    def retrieve(self, request, *args, **kwargs):
        return self.respond(self.get_object(), fresh=False)

    def run_step(self, serializer_class, step):
        obj = self.get_object()
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("version", None)
        result = step(
            **{self.step_subject: obj},
            expected_version=expected_version(self.request),
            actor=self.request.user,
            **data,
        )
        return self.respond(result)
