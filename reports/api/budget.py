"""The v1 support reports (plain arrays, kept as they were; filters and fields added only):
budget execution and coverage, exportable like every report."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.fields import CharField
from core.api.views import AreaScopedMixin
from reports.base import COMMUNE, Column
from support import reports
from support.api import serializers as s

from .views import AREA_RULE, EXPORTS, FORMAT, ExportMixin


class BudgetExecutionParams(s.BudgetExecutionParams):
    group_by = serializers.ChoiceField(choices=list(reports.GROUP_BY), default="program")
    commune = CharField(
        required=False, max_length=5, help_text="Only this commune's own allocations."
    )


class BudgetRowSerializer(s.BudgetRowSerializer):
    name = CharField(help_text="The name of the program, sub-project, source or commune.")


class BudgetExecutionView(ExportMixin, AreaScopedMixin, APIView):
    """Budget execution: allocated, committed, disbursed and available, summed from the
    ledger, grouped by program, sub-project, capital source, commune or year."""

    area_paths = None  # the report scopes its rows
    area_rule = AREA_RULE
    query_params = BudgetExecutionParams
    slug = "budget-execution"
    title = _("Budget execution")
    export_columns = [
        Column("key", _("Key"), "text"),
        Column("name", _("Name"), "text"),
        Column("allocated", _("Allocated"), "money"),
        Column("committed", _("Committed"), "money"),
        Column("disbursed", _("Disbursed"), "money"),
        Column("available", _("Available"), "money"),
    ]

    @extend_schema(
        parameters=[BudgetExecutionParams, FORMAT],
        responses={200: BudgetRowSerializer(many=True), **EXPORTS},
    )
    def get(self, request):
        params = BudgetExecutionParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        rows = reports.budget_execution(
            access=self.access,
            year=params.validated_data.get("year"),
            group_by=params.validated_data["group_by"],
            commune=params.validated_data.get("commune"),
        )
        return Response(BudgetRowSerializer(rows, many=True).data)


class CoverageParams(s.CoverageParams):
    group_by = serializers.ChoiceField(
        choices=["package", "package_type"],
        default="package",
        help_text="Rows per package (code), or per package type (its kind).",
    )


class CoverageRowSerializer(s.CoverageRowSerializer):
    poor_households = serializers.IntegerField(
        help_text="Of the eligible households, those currently poor (under a standard the "
        "package is for)."
    )
    poor_covered = serializers.IntegerField(help_text="Of them, those reached.")
    near_poor_households = serializers.IntegerField(
        help_text="Of the eligible households, those currently near-poor."
    )
    near_poor_covered = serializers.IntegerField(help_text="Of them, those reached.")


class CoverageView(ExportMixin, AreaScopedMixin, APIView):
    """Coverage of the households each package is for (current official status) by
    commune: how many have an active assignment of it in the period, poor and near-poor."""

    area_paths = None  # the report scopes its rows
    area_rule = AREA_RULE
    query_params = CoverageParams
    slug = "coverage"
    title = _("Coverage")
    export_columns = [
        COMMUNE,
        Column("package", _("Package"), "text"),
        Column("eligible_households", _("Eligible households")),
        Column("covered", _("Households reached")),
        Column("coverage", _("Coverage"), "rate"),
        Column("poor_households", _("Poor households")),
        Column("poor_covered", _("Poor households reached")),
        Column("near_poor_households", _("Near-poor households")),
        Column("near_poor_covered", _("Near-poor households reached")),
    ]

    @extend_schema(
        parameters=[CoverageParams, FORMAT],
        responses={200: CoverageRowSerializer(many=True), **EXPORTS},
    )
    def get(self, request):
        params = CoverageParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        rows = reports.coverage(
            access=self.access,
            period=params.validated_data["period"],
            package_code=params.validated_data.get("package"),
            by_kind=params.validated_data["group_by"] == "package_type",
        )
        return Response(CoverageRowSerializer(rows, many=True).data)
