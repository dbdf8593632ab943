"""The report catalogue: each report's slug, title, definition, computation and filters."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from . import poverty_figures as poverty
from . import support_figures as support
from .base import Report
from .params import MAX_YEARS, FilterParams, FlowParams, StockParams, group_by_field, year_field


class PovertyRatesParams(StockParams):
    group_by = group_by_field(["commune", "village", "year", "none"], "commune")
    year_from = year_field(
        required=False, help_text="group_by=year: first year (default: 4 years before year_to)."
    )
    year_to = year_field(
        required=False, help_text="group_by=year: last year (default: the year of as_of)."
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        attrs.setdefault("as_of", timezone.localdate())
        if attrs["group_by"] != "year":
            for name in ("year_from", "year_to"):
                if name in attrs:
                    raise serializers.ValidationError({name: [gettext("Only with group_by=year.")]})
            return attrs
        attrs.setdefault("year_to", attrs["as_of"].year)
        attrs.setdefault("year_from", attrs["year_to"] - 4)
        if attrs["year_from"] > attrs["year_to"]:
            raise serializers.ValidationError(
                {"year_to": [gettext("Must not be before year_from.")]}
            )
        if attrs["year_to"] - attrs["year_from"] >= MAX_YEARS:
            raise serializers.ValidationError(
                {"year_from": [gettext("At most %(count)s years.") % {"count": MAX_YEARS}]}
            )
        return attrs


class _AsOf(StockParams):
    def validate(self, attrs):
        attrs = super().validate(attrs)
        attrs.setdefault("as_of", timezone.localdate())
        return attrs


class TransitionsParams(FlowParams):
    group_by = group_by_field(["commune", "village", "none"], "commune")


class AlkireFosterParams(_AsOf):
    group_by = group_by_field(["commune", "none"], "commune")


class DeprivationProfileParams(_AsOf):
    group_by = group_by_field(["commune", "village"], "commune")


class TargetProgressParams(FilterParams):
    ethnicity = None  # a target is a commune's or a village's, whoever heads the households
    head_sex = None
    year = year_field(required=False, help_text="The targets' year (default: this year).")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        attrs.setdefault("year", timezone.localdate().year)
        return attrs


class UpliftParams(FlowParams):
    standard = None  # money paid: no standard involved
    group_by = group_by_field(["commune", "package_type", "none"], "commune")


POVERTY_RATES = Report(
    "poverty-rates",
    _("Poverty and near-poverty rates"),
    _(
        "Households: households in the register on the date (active, or closed after it), "
        "filtered by area, commune, village and the present head's ethnicity and sex. Poor "
        "(near-poor) households: those of them whose official status under the standard, in "
        "force on the date, is poor (near-poor); a status runs from its decision date up to "
        "the next decision's. Rate: poor (near-poor) households ÷ households. With "
        "group_by=year, the figures are those of 31 December of each year."
    ),
    poverty.poverty_rates,
)
TRANSITIONS = Report(
    "transitions",
    _("Transitions in and out of poverty"),
    _(
        "Official status changes that took effect in the period (their decision date between "
        "date_from and date_to, both included), per standard: newly poor (poor with no "
        "escape in the relapse window before), escaped (poor to near-poor, average or not "
        "poor), relapsed (poor again within the relapse window after an escape or a "
        "voluntary exit) and voluntary exits (a household's own application to leave the list)."
    ),
    poverty.transitions,
)
ALKIRE_FOSTER = Report(
    "alkire-foster",
    _("Alkire–Foster multidimensional poverty measures"),
    _(
        "Counted: each household's assessment behind its official status in force on the "
        "date under the standard (the approved assessment of the latest decision), of "
        "households in the register on that date; households never assessed are not "
        "counted. d = the number of indicators the standard lists, each weighing the same; "
        "a household is multidimensionally poor when deprived in at least the standard's "
        "minimum number (k, 3 for Decree 07), income not considered. An indicator whose facts "
        "were not recorded is not a deprivation. H = multidimensionally poor ÷ assessed; "
        "A = their deprivations ÷ (their number × d); M0 = H × A; censored headcount of an "
        "indicator = households both multidimensionally poor and deprived in it ÷ assessed."
    ),
    poverty.alkire_foster,
)
DEPRIVATION_PROFILE = Report(
    "deprivation-profile",
    _("Deprivation profile"),
    _(
        "Per indicator and commune (or village): the households deprived in it among the "
        "assessed households (the assessment behind each household's official status in "
        "force on the date under the standard, of households in the register), their share "
        "of the assessed, and the same among the officially poor. An indicator whose facts "
        "were not recorded is not a deprivation."
    ),
    poverty.deprivation_profile,
)
TARGET_PROGRESS = Report(
    "target-progress",
    _("Progress against targets"),
    _(
        "Per commune and village target of the year: households to lift (the target), "
        "households lifted (official escapes under the target's standard that took effect in "
        "the year), the gap still to lift, households (active in the register), poor "
        "households (current official status), the poverty rate and how far it is above "
        "the target rate."
    ),
    support.target_progress,
    per_standard=False,
)
UPLIFT = Report(
    "uplift",
    _("Provincial uplift paid against the central base"),
    _(
        "Disbursements dated in the period. Each is split pro rata by its assignment's "
        "recorded terms (amount = central base × provincial multiplier): central base = "
        "paid × base ÷ amount, uplift = paid − central base. Ethnic-minority: the household's "
        "present head is of an ethnic group other than Kinh (code 01)."
    ),
    support.uplift,
    per_standard=False,
)

VIEWS = {
    r.slug: (r, params, doc)
    for r, params, doc in [
        (POVERTY_RATES, PovertyRatesParams, "Poverty and near-poverty rates, per standard."),
        (TRANSITIONS, TransitionsParams, "Newly poor, escaped, relapsed and voluntary exits."),
        (ALKIRE_FOSTER, AlkireFosterParams, "Alkire–Foster H, A, M0 and censored headcounts."),
        (
            DEPRIVATION_PROFILE,
            DeprivationProfileParams,
            "Deprivation profile: which indicators, where.",
        ),
        (TARGET_PROGRESS, TargetProgressParams, "Progress against commune and village targets."),
        (UPLIFT, UpliftParams, "Provincial uplift paid against the central base."),
    ]
}
