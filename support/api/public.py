"""Public transparency: the aggregates of `support.public` for anyone, without
authentication — three JSON endpoints under `/api/v1/public/` and an HTML page at
`/public/`. Read-only, throttled as anonymous (`API_ANON_THROTTLE_RATE`, per address), no
personal data, small cells suppressed (the rule: `support.public`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext
from django.views import View
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.fields import CharField, IntegerField
from core.api.schema import AutoSchema
from core.api.throttling import AnonRateThrottle, ClientRateThrottle
from core.api.views import KnownQueryParamsMixin
from geo.models import Province
from support import public
from support.choices import CapitalSource, PackageKind

CACHE_SECONDS = 300
AREA_RULE = "Public: aggregates of the whole province, no personal data."
SUPPRESSION = (
    '**Suppression.** A count of households below 5 (0 to 4) is the string `"<5"`. Where '
    "subtracting the shown cells of a column from its province total would narrow a "
    "suppressed count, cells of 5 or more are suppressed with it (null), the smallest first, "
    "or else the total is (null). A rate whose numerator or denominator is suppressed is "
    "null. Money is shown, except where it would reveal the support of fewer than 5 "
    "households (null). Each row's `suppressed` names its hidden fields."
)


class PublicSchema(AutoSchema):
    """Public operations: anyone may call them; the only problems are bad parameters, a
    rejected token (when one is sent) and the rate limit."""

    def _roles(self) -> str:
        return "**Roles:** anyone, without authentication (the answer is the same for all)."

    def _error_codes(self) -> list[str]:
        return ["400", "401", "429"]

    def get_description(self) -> str:
        return f"{super().get_description()}\n\n{SUPPRESSION}"


# ---------------------------------------------------------------------------- parameters


def _province(code: str) -> str:
    if not Province.objects.filter(code=code).exists():
        raise serializers.ValidationError(gettext("No province of this code."))
    return code


class ProvinceParams(serializers.Serializer):
    province = CharField(
        default="22",
        min_length=2,
        max_length=2,
        validators=[_province],
        help_text="Province code (default `22`, Quảng Ninh).",
    )


class YearParams(ProvinceParams):
    year = IntegerField(
        required=False, min_value=2000, max_value=2100, help_text="Year (default: this year)."
    )

    def validate(self, attrs):
        return {"year": timezone.localdate().year, **attrs}


class RatesParams(ProvinceParams):
    standard = CharField(
        required=False,
        max_length=40,
        help_text="Poverty standard code, e.g. `VN-ND07-2021` (default: the national standard "
        "in force today).",
    )

    def validate(self, attrs):
        try:
            attrs["standard"] = public.standard_for(attrs.get("standard")).code
        except public.UnknownStandard:
            raise serializers.ValidationError(
                {"standard": gettext("No standard of this code.")}
            ) from None
        return attrs


# ---------------------------------------------------------------------------- responses


@extend_schema_field(
    {
        "oneOf": [{"type": "integer", "minimum": 5}, {"type": "string", "enum": [public.SMALL]}],
        "nullable": True,
        "description": 'Households: a number of 5 or more, `"<5"` (0 to 4), or null (hidden '
        "so that it cannot be worked out from the total).",
    }
)
class CountField(serializers.Field):
    def to_representation(self, value):
        return value


def _money(help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(allow_null=True, min_value=0, help_text=help_text)


SUPPRESSED = serializers.ListField(
    child=serializers.CharField(), help_text="The fields of this row that are hidden."
)
RATE = {"allow_null": True, "min_value": 0, "max_value": 100}


class PublicBudgetTotalSerializer(serializers.Serializer):
    sub_project = serializers.CharField(help_text="Sub-project code (`/programs/`).")
    sub_project_name = serializers.CharField()
    source = serializers.ChoiceField(choices=CapitalSource.choices)
    allocated = serializers.IntegerField(min_value=0, help_text="Allocated, VND.")
    disbursed = _money("Disbursed, VND; null when hidden.")
    suppressed = SUPPRESSED


class PublicBudgetRowSerializer(PublicBudgetTotalSerializer):
    commune = serializers.CharField(allow_null=True, help_text="Null: province-wide.")
    commune_name = serializers.CharField(allow_null=True)


class PublicBudgetSerializer(serializers.Serializer):
    province = serializers.CharField()
    year = serializers.IntegerField()
    rows = PublicBudgetRowSerializer(many=True)
    totals = PublicBudgetTotalSerializer(many=True)


class PublicSupportTotalSerializer(serializers.Serializer):
    package_kind = serializers.ChoiceField(choices=PackageKind.choices)
    households = CountField()
    amount = _money("Support decided (approved, delivered or completed), VND; null when hidden.")
    disbursed = _money("Paid out of it so far, VND; null when hidden.")
    suppressed = SUPPRESSED


class PublicSupportRowSerializer(PublicSupportTotalSerializer):
    commune = serializers.CharField()
    commune_name = serializers.CharField()


class PublicSupportSerializer(serializers.Serializer):
    province = serializers.CharField()
    year = serializers.IntegerField()
    rows = PublicSupportRowSerializer(many=True)
    totals = PublicSupportTotalSerializer(many=True)


class PublicRatesTotalSerializer(serializers.Serializer):
    households = CountField(help_text="Households registered and active (the denominator).")
    poor = CountField()
    near_poor = CountField()
    poverty_rate = serializers.FloatField(**RATE, help_text="Poor ÷ households, %.")
    near_poverty_rate = serializers.FloatField(**RATE, help_text="Near-poor ÷ households, %.")
    suppressed = SUPPRESSED


class PublicRatesRowSerializer(PublicRatesTotalSerializer):
    commune = serializers.CharField()
    commune_name = serializers.CharField()


class PublicRatesSerializer(serializers.Serializer):
    province = serializers.CharField()
    standard = serializers.CharField(help_text="The standard's code.")
    rows = PublicRatesRowSerializer(many=True)
    total = PublicRatesTotalSerializer()


# ---------------------------------------------------------------------------- views


class PublicView(KnownQueryParamsMixin, APIView):
    permission_classes = [AllowAny]
    throttle_classes = [ClientRateThrottle, AnonRateThrottle]
    schema = PublicSchema()
    area_rule = AREA_RULE

    def params(self, request) -> dict[str, Any]:
        params = self.query_params(data=request.query_params)
        params.is_valid(raise_exception=True)
        return params.validated_data

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code == 200 and not request.user.is_authenticated:
            patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
        return response


class PublicBudgetView(PublicView):
    """Public budget figures: program capital allocated and disbursed by commune,
    sub-project and capital source in a year.

    Rows per commune (or province-wide allocation), sub-project and source; totals per
    sub-project and source."""

    query_params = YearParams

    @extend_schema(parameters=[YearParams], responses=PublicBudgetSerializer)
    def get(self, request):
        """Capital allocated and disbursed by commune, sub-project and source."""
        return Response(public.budget(**self.params(request)))


class PublicSupportView(PublicView):
    """Public support figures: households supported in a year by commune and package type,
    with the support's amount.

    Support counts once approved (approved, delivered or completed). Every commune of the
    province is listed for every package type given there that year."""

    query_params = YearParams

    @extend_schema(parameters=[YearParams], responses=PublicSupportSerializer)
    def get(self, request):
        """Households supported by commune and package type."""
        return Response(public.support(**self.params(request)))


class PublicPovertyRatesView(PublicView):
    """Public poverty rates: poor and near-poor households among the households registered
    and active, by commune, under one standard.

    From current official statuses (those approved by the commune and not ended)."""

    query_params = RatesParams

    @extend_schema(parameters=[RatesParams], responses=PublicRatesSerializer)
    def get(self, request):
        """Poverty and near-poverty rates by commune."""
        p = self.params(request)
        return Response(public.poverty_rates(province=p["province"], standard_code=p["standard"]))


# ---------------------------------------------------------------------------- the page

SOURCES_VI = {
    "central": "Ngân sách trung ương",
    "local": "Ngân sách địa phương (đối ứng)",
    "social": "Huy động xã hội",
    "policy_credit": "Tín dụng chính sách (NHCSXH)",
}
KINDS_VI = {
    "health_insurance": "Bảo hiểm y tế",
    "preferential_loan": "Vay vốn ưu đãi",
    "housing": "Hỗ trợ nhà ở",
    "vocational_training": "Đào tạo nghề",
    "labour_export": "Xuất khẩu lao động",
    "livelihood_model": "Mô hình sinh kế",
    "education": "Hỗ trợ giáo dục",
    "electricity": "Hỗ trợ tiền điện",
    "cash": "Tiền mặt",
    "in_kind": "Hiện vật",
}
HIDDEN = "ẩn"
TEXT = "text/plain; charset=utf-8"


def show(value: Any, suffix: str = "") -> str:
    """A figure as the page prints it: 1.234.567, "<5", 12,5 %, or "ẩn" when hidden."""
    if value is None:
        return HIDDEN
    if isinstance(value, (bool, str)):
        return str(value)
    if isinstance(value, float):
        return f"{value:.2f}".replace(".", ",") + suffix
    return f"{value:,}".replace(",", ".") + suffix


def page_context(province: Province, year: int, standard: str) -> dict[str, Any]:
    """The three tables, shaped for the template, every figure already printed."""
    budget = public.budget(province=province.code, year=year)
    support = public.support(province=province.code, year=year)
    rates = public.poverty_rates(province=province.code, standard_code=standard)
    budget_rows = [
        {
            "where": r["commune_name"] or "Cấp tỉnh (chung toàn tỉnh)",
            "sub_project": f"{r['sub_project']} {r['sub_project_name']}",
            "source": SOURCES_VI.get(r["source"], r["source"]),
            "allocated": show(r["allocated"]),
            "disbursed": show(r["disbursed"]),
        }
        for r in budget["rows"]
    ] + [
        {
            "where": "Tổng cộng",
            "total": True,
            "sub_project": f"{r['sub_project']} {r['sub_project_name']}",
            "source": SOURCES_VI.get(r["source"], r["source"]),
            "allocated": show(r["allocated"]),
            "disbursed": show(r["disbursed"]),
        }
        for r in budget["totals"]
    ]
    kinds = [t["package_kind"] for t in support["totals"]]
    by_commune: dict[str, dict[str, Any]] = {}
    for r in support["rows"]:
        entry = by_commune.setdefault(r["commune"], {"name": r["commune_name"], "cells": []})
        entry["cells"].append((show(r["households"]), show(r["amount"])))
    support_rows = list(by_commune.values())
    support_rows.append(
        {
            "name": "Toàn tỉnh",
            "total": True,
            "cells": [(show(t["households"]), show(t["amount"])) for t in support["totals"]],
        }
    )

    def rate_row(name: str, r: dict[str, Any], total: bool = False) -> dict[str, Any]:
        return {
            "name": name,
            "total": total,
            **{k: show(r[k]) for k in ("households", "poor", "near_poor")},
            "poverty_rate": show(r["poverty_rate"], " %"),
            "near_poverty_rate": show(r["near_poverty_rate"], " %"),
        }

    return {
        "province": province,
        "year": year,
        "standard": standard,
        "budget_rows": budget_rows,
        "kinds": [KINDS_VI.get(k, k) for k in kinds],
        "support_rows": support_rows,
        "rate_rows": [rate_row(r["commune_name"], r) for r in rates["rows"]]
        + [rate_row("Toàn tỉnh", rates["total"], total=True)],
    }


class PublicPageView(View):
    """The same figures as an HTML page (Vietnamese labels), for anyone."""

    http_method_names = ["get", "head", "options"]

    def get(self, request: HttpRequest) -> HttpResponse:
        throttle = AnonRateThrottle()
        if not throttle.allow_request(request, self):
            response = HttpResponse(
                "Quá nhiều yêu cầu. Vui lòng thử lại sau.", status=429, content_type=TEXT
            )
            response["Retry-After"] = str(int(throttle.wait() or 1))
            return response
        query = {k: v for k, v in request.GET.items() if k in ("province", "year", "standard")}
        years, rates = YearParams(data=query), RatesParams(data=query)
        if not all([years.is_valid(), rates.is_valid()]):
            errors = {**years.errors, **rates.errors}
            text = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in errors.items())
            return HttpResponse(f"Tham số không hợp lệ — {text}", status=400, content_type=TEXT)
        province = Province.objects.get(code=years.validated_data["province"])
        context = page_context(
            province, years.validated_data["year"], rates.validated_data["standard"]
        )
        response = render(request, "support/public.html", context)
        if not request.user.is_authenticated:
            patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
        return response
