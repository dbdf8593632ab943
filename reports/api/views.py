"""GET /api/v1/reports/<slug>/: aggregate figures of the caller's area, as JSON (the report
envelope), CSV (`?format=csv`) or XLSX (`?format=xlsx`)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.renderers import JSONRenderer
from core.api.views import AreaScopedMixin
from core.spreadsheet import XLSX_CONTENT_TYPE
from reports import catalogue
from reports.base import Column, Report
from reports.params import echo, select

from .renderers import CSVRenderer, XLSXRenderer

AREA_RULE = (
    "The figures cover your area only (the whole country for national administrators); a "
    "commune or village filter outside your area answers empty figures, as if it held no "
    "households."
)
EXPORTS = {
    (200, "text/csv"): OpenApiResponse(
        OpenApiTypes.BINARY, description="`?format=csv`: CSV, UTF-8 with a byte order mark."
    ),
    (200, XLSX_CONTENT_TYPE): OpenApiResponse(
        OpenApiTypes.BINARY, description="`?format=xlsx`: an Excel workbook."
    ),
}


FORMAT = OpenApiParameter(
    "format",
    str,
    enum=["json", "csv", "xlsx"],
    description="`csv` or `xlsx`: the report as a file (the same table, translated headers); "
    "default JSON.",
)


class ColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    type = serializers.ChoiceField(choices=["text", "integer", "money", "rate", "date", "decimal"])


class StandardRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    scope = serializers.ChoiceField(choices=["national", "provincial"])


class ReportSerializer(serializers.Serializer):
    report = serializers.CharField(help_text="The report's slug.")
    title = serializers.CharField()
    definition = serializers.CharField(help_text="What the figures count, exactly.")
    filters = serializers.DictField(help_text="The filters applied, defaults included.")
    standards = StandardRefSerializer(many=True)
    columns = ColumnSerializer(many=True)
    rows = serializers.ListField(child=serializers.DictField())
    total = serializers.DictField(allow_null=True)


class ExportMixin:
    """`?format=csv|xlsx` renders the report as a file (any other format is a 400), with the
    labels in the request's language (Accept-Language)."""

    renderer_classes = [JSONRenderer, CSVRenderer, XLSXRenderer]
    slug = ""
    title: Any = ""
    export_columns: list[Column] = []

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request, force)
        except Http404:
            raise ValidationError(
                {"format": [gettext("Unknown format: give json, csv or xlsx.")]}, code="invalid"
            ) from None

    def finalize_response(self, request, response, *args, **kwargs):
        fmt = getattr(getattr(request, "accepted_renderer", None), "format", None)
        if response.status_code >= 400 or request.method == "OPTIONS":
            # a refusal is a problem document, and OPTIONS the view's description, whatever
            # file was asked for (also when refused before the format was negotiated)
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code == 200 and fmt in ("csv", "xlsx"):
            day = timezone.localdate().isoformat()
            response["Content-Disposition"] = f'attachment; filename="{self.slug}-{day}.{fmt}"'
        return response


class ReportView(ExportMixin, AreaScopedMixin, APIView):
    area_paths = None  # a report scopes its own rows
    area_rule = AREA_RULE
    report: Report

    def get(self, request):
        params = self.query_params(data=request.query_params)
        params.is_valid(raise_exception=True)
        values = dict(params.validated_data)
        on = values.get("as_of") or values.get("date_to") or timezone.localdate()
        selection = select(self.access, values, on=on, standards=self.report.per_standard)
        table = self.report.compute(selection)
        return Response(
            {
                "report": self.report.slug,
                "title": str(self.report.title),
                "definition": str(self.report.definition),
                "filters": echo(values),
                "standards": selection.standards_json(),
                "columns": [c.json() for c in table.columns],
                "rows": table.rows,
                "total": table.total,
            }
        )


def report_view(report: Report, params, doc: str) -> type[ReportView]:
    """The view of one report of the catalogue, documented in the OpenAPI document."""

    def get(self, request):
        return ReportView.get(self, request)

    get.__doc__ = doc
    get = extend_schema(parameters=[params, FORMAT], responses={200: ReportSerializer, **EXPORTS})(
        get
    )
    return type(
        f"{report.slug.title().replace('-', '')}ReportView",
        (ReportView,),
        {"report": report, "query_params": params, "slug": report.slug, "__doc__": doc, "get": get},
    )


VIEWS = {slug: report_view(*entry) for slug, entry in catalogue.VIEWS.items()}

__all__ = ["AREA_RULE", "EXPORTS", "FORMAT", "VIEWS", "Column", "ExportMixin"]
