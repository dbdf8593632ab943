"""Filters with the input rules of core.api.fields: integers within their column's range
(a whole number, not a decimal), dates and times parsed strictly, booleans only `true` or
`false`, a related row by its id alone (never looked up). Every FilterSet derives from
`FilterSet` (also the base of those that views generate from `filterset_fields`). An empty
value is refused before any filter reads it (core.api.views.KnownQueryParamsMixin)."""

from __future__ import annotations

import copy

import django_filters
from django import forms
from django.db import models
from django.utils.translation import get_language, gettext
from django_filters import fields as filter_fields
from django_filters import rest_framework

from .fields import date_problem, datetime_problem, integer_range


class StrictDateField(forms.DateField):
    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is not None and (problem := date_problem(parsed)):
            raise forms.ValidationError(problem, code="invalid_date")
        return parsed


class StrictIsoDateTimeField(filter_fields.IsoDateTimeField):
    def to_python(self, value):
        parsed = super().to_python(value)  # aware with the offset it was written with
        if parsed is not None and (problem := datetime_problem(parsed)):
            raise forms.ValidationError(problem, code="invalid_datetime")
        return parsed


class StrictBooleanField(forms.Field):
    """`true` or `false` (any case); anything else is a 400, not an unfiltered answer."""

    widget = forms.TextInput

    def to_python(self, value):
        text = (value or "").strip().lower()
        if text in ("", "none"):
            return None
        if text not in ("true", "false"):
            raise forms.ValidationError(gettext("Must be true or false."), code="invalid")
        return text == "true"


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class IntegerFilter(django_filters.NumberFilter):
    """A whole number within `min_value`..`max_value`."""

    field_class = forms.IntegerField


class DateFilter(django_filters.DateFilter):
    field_class = StrictDateField


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = StrictIsoDateTimeField


class _Filters(dict):
    """A FilterSet class's filters, which each instance copies (django-filter deep-copies them,
    with their choices: half a millisecond of a member list). A filter's own state is
    what each instance sets (`model`, `parent`), so a shallow copy is enough; a filter with
    a `method` gets its own FilterMethod, which points back at the filter."""

    def __deepcopy__(self, memo):
        copies = {}
        for name, original in self.items():
            copies[name] = own = copy.copy(original)
            if original.method is not None:
                own.method = original.method
        return copies


class _Fields(dict):
    """The fields of a filter form class built once (`FilterSet.get_form_class`), shared by
    its forms rather than deep-copied into each (a Django form does that so that one form may
    change its own fields; none here does: they only clean the query's values)."""

    def __deepcopy__(self, memo):
        return dict(self)


class FilterSet(rest_framework.FilterSet):
    FILTER_DEFAULTS = {
        **rest_framework.FilterSet.FILTER_DEFAULTS,
        models.DateField: {"filter_class": DateFilter},
        models.DateTimeField: {"filter_class": IsoDateTimeFilter},
        models.BooleanField: {"filter_class": BooleanFilter},
    }

    @classmethod
    def filter_for_lookup(cls, field, lookup_type):
        if isinstance(field, models.ForeignKey):  # and OneToOneField
            # A filter by a related row compares its id and never looks the row up: a lookup
            # would answer a row outside the caller's area ("no such choice") otherwise than an
            # unknown id. Both now give the area's rows that match: none (docs/security.md §3).
            field = field.target_field
        filter_class, params = super().filter_for_lookup(field, lookup_type)
        if filter_class is django_filters.NumberFilter and isinstance(field, models.IntegerField):
            low, high = integer_range(field)
            return IntegerFilter, {**params, "min_value": low, "max_value": high}
        return filter_class, params

    def get_form_class(self):
        # django-filter builds the form class from the filters on every request: about a
        # millisecond of each filtered list. It depends on the FilterSet class alone (no
        # FilterSet here changes its filters per request) and on the language its labels are
        # in, so it is built once for each, and kept on the class (a class generated from a
        # view's `filterset_fields` takes its forms with it). A form copies its fields.
        built = type(self).__dict__.get("_form_classes")
        if built is None:
            built = type(self)._form_classes = {}
        language = get_language()
        if language not in built:
            form_class = super().get_form_class()
            form_class.base_fields = _Fields(form_class.base_fields)
            built[language] = form_class
        return built[language]

    @classmethod
    def get_filters(cls):
        return _Filters(super().get_filters())


class FilterBackend(rest_framework.DjangoFilterBackend):
    filterset_base = FilterSet
