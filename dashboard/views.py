"""The officers' dashboard: one server-rendered page (Vietnamese first) whose small script
(static/dashboard/dashboard.js) draws the report endpoints' answers for the signed-in user.

The page itself shows no figures: every figure comes from /api/v1/reports/ with the user's
session, so the dashboard can show nothing the API would not (area scoping is the API's).
The page only offers the filters that make sense for the user: the communes of their area,
the standards that apply there, and a year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import pgettext

from core.access import Access, Perm, access_for
from geo.models import Commune
from poverty.choices import Scope, StandardStatus
from poverty.models import PovertyStandard

DEFAULT_LANGUAGE = "vi"
FIRST_YEAR = 2021  # the first year of the multidimensional standard of Decree 07/2021
YEARS_SHOWN = 5  # the rates-over-time chart: the chosen year and the four before it


@dataclass(frozen=True)
class Filters:
    commune: str = ""
    standard: str = ""
    year: int = 0


def language_of(request: HttpRequest) -> str:
    """Vietnamese first: the language cookie, then Accept-Language, else Vietnamese (also
    when the project's LANGUAGE_CODE is still English)."""
    supported = {code for code, _name in settings.LANGUAGES}
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if cookie in supported:
        return cookie
    header = request.headers.get("Accept-Language", "")
    for code, _q in translation.trans_real.parse_accept_lang_header(header):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return DEFAULT_LANGUAGE


def communes_in_area(access: Access) -> list[Commune]:
    """The communes the user may choose: those of their grants (village grants: the
    villages' communes)."""
    if access.everywhere:
        qs = Commune.objects.all()
    else:
        qs = Commune.objects.filter(
            Q(code__in=sorted(access.commune_codes))
            | Q(villages__id__in=sorted(access.village_ids))
        ).distinct()
    return list(qs.only("code", "name", "province_id").order_by("name", "code"))


def standards_for(communes: list[Commune]) -> list[PovertyStandard]:
    """The published national standards and the provincial ones of the user's provinces."""
    provinces = sorted({c.province_id for c in communes})
    qs = PovertyStandard.objects.filter(
        Q(scope=Scope.NATIONAL) | Q(province_id__in=provinces), status=StandardStatus.PUBLISHED
    )
    seen: dict[str, PovertyStandard] = {}
    for s in qs.order_by("scope", "code", "-revision"):
        seen.setdefault(s.code, s)
    return list(seen.values())


def chosen(request: HttpRequest, communes: list[Commune], standards: list[PovertyStandard]):
    """The filters from the query string; a value the user may not choose is dropped (the
    page then shows the whole area), never echoed."""
    today = timezone.localdate()  # Vietnam's date, as the reports count it
    commune = request.GET.get("commune", "")
    if commune not in {c.code for c in communes}:
        commune = ""
    standard = request.GET.get("standard", "")
    if standard not in {s.code for s in standards}:
        standard = ""
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = today.year
    if not FIRST_YEAR <= year <= today.year:
        year = today.year
    return Filters(commune=commune, standard=standard, year=year)


@staff_member_required
def index(request: HttpRequest) -> HttpResponse:
    with translation.override(language_of(request)):
        access = access_for(request.user)
        if not access.can(Perm.VIEW):  # the reports would refuse them every figure
            raise PermissionDenied
        communes = communes_in_area(access)
        standards = standards_for(communes)
        filters = chosen(request, communes, standards)
        today = timezone.localdate()  # Vietnam's date, as the reports count it
        as_of = date(filters.year, 12, 31) if filters.year < today.year else today
        context = {
            "communes": communes,
            "standards": standards,
            "filters": filters,
            "years": list(range(today.year, FIRST_YEAR - 1, -1)),
            "as_of": as_of,
            "config": {
                "api": "/api/v1/",
                "commune": filters.commune,
                "standard": filters.standard,
                "year": filters.year,
                "year_from": max(FIRST_YEAR, filters.year - YEARS_SHOWN + 1),
                "as_of": as_of.isoformat(),
                "language": translation.get_language(),
                "communes": {c.code: c.name for c in communes},
                "text": {
                    "loading": pgettext("dashboard", "Loading…"),
                    "empty": pgettext("dashboard", "No data for these filters."),
                    "unavailable": pgettext("dashboard", "This report is not available."),
                    "error": pgettext("dashboard", "The report could not be loaded."),
                    "total": pgettext("dashboard", "Total"),
                    "commune": pgettext("dashboard", "Commune"),
                    "province_wide": pgettext("dashboard", "Province-wide"),
                    "allocated": pgettext("dashboard", "Allocated"),
                    "committed": pgettext("dashboard", "Committed"),
                    "disbursed": pgettext("dashboard", "Disbursed"),
                    "available": pgettext("dashboard", "Available"),
                },
            },
        }
        response = render(request, "dashboard/index.html", context)
        response.headers["Content-Language"] = translation.get_language()
        return response
