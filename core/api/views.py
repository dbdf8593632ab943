"""Shared viewset behaviour: audit context, area scoping, personal-data visibility, versions."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from rest_framework import status
from rest_framework.response import Response

from core import audit
from core.access import Access, Perm, access_for
from core.errors import InvalidInput
from core.personal import personal_fields


class AuditedViewSetMixin:
    """Every change made during the request is recorded with its user and channel.

    A 201 carries `Location`, the new resource's detail URL: the router's `<basename>-detail`
    for `create`, or the route an action names in `created_routes` (an action that creates
    another kind of record: `{"disburse": "disbursement-detail"}`)."""

    created_routes: dict[str, str] = {}

    @property
    def access(self) -> Access:
        return access_for(self.request.user)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        channel = access_for(request.user).channel
        self._audit_token = audit.begin(request.user, channel)

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

    def scope(self, queryset):
        if self.area_paths is None:
            return queryset
        commune_path, village_path = self.area_paths
        return queryset.filter(self.access.area_q(commune_path, village_path))

    def filter_queryset(self, queryset):
        return super().filter_queryset(self.scope(queryset))

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
            f"Version {raw!r} is not a whole number.", fields={"version": "Must be a whole number."}
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
