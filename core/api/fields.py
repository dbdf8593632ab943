"""Input rules for numbers and time, in one place for every serializer and filter.

- Integers are range-checked before they reach the database, with bounds that do not depend on
  the database: a model column's type decides them (`integer_range`), and a plain
  `IntegerField` is a 32-bit integer unless it says otherwise. Money and other big columns
  take at most `MAX_BIG` (10^15 VND), so that sums of them stay far inside 64 bits.
- Text is text: a number sent where text is expected is refused, and an empty string is not an
  id.
- Dates and times are parsed strictly: nothing before 1900, no UTC offset beyond ±14:00 (none
  exists; PostgreSQL refuses some), and no future where the future is impossible
  (`not_future` dates; device times at most `CLOCK_SKEW` ahead of the server).

`ModelSerializer` (the base of every model serializer) maps model fields to these; plain
serializers use them explicitly; `core.api.filters` applies the same rules to query
parameters.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework import ISO_8601, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings

from core.dates import CLOCK_SKEW as CLOCK_SKEW  # the field apps' (integrations.field.api)
from core.dates import MIN_DATE, today

INT32_MIN, INT32_MAX = BaseDatabaseOperations.integer_field_ranges["IntegerField"]
INT64_MAX = BaseDatabaseOperations.integer_field_ranges["BigIntegerField"][1]
MAX_BIG = 10**15
MAX_UTC_OFFSET = timedelta(hours=14)


def integer_range(model_field: models.Field) -> tuple[int, int]:
    """The values an integer column takes, the same on every database."""
    low, high = BaseDatabaseOperations.integer_field_ranges[model_field.get_internal_type()]
    return max(low, -MAX_BIG), min(high, MAX_BIG)


def date_problem(value: date, *, not_future: bool = False) -> str | None:
    if value < MIN_DATE:
        return gettext("Dates before 1900 are not accepted.")
    if not_future and value > today():
        return gettext("Cannot be in the future.")
    return None


def datetime_problem(value: datetime, *, max_ahead: timedelta | None = None) -> str | None:
    """Checks an aware datetime as it was written (before any conversion)."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        return gettext("A UTC offset runs from -14:00 to +14:00.")
    if offset is None:  # naive: local time
        value = value.replace(tzinfo=timezone.get_current_timezone())
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        return gettext("Out of range.")
    if utc < datetime(MIN_DATE.year, 1, 1, tzinfo=UTC):
        return gettext("Dates before 1900 are not accepted.")
    if max_ahead is not None and utc > timezone.now() + max_ahead:
        return gettext("Cannot be in the future.")
    return None


class CharField(serializers.CharField):
    """Text only: a number where text is expected is refused, not turned into text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class PrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id, or null where none is allowed; an empty string is refused (DRF reads it as
    null)."""

    def run_validation(self, data=serializers.empty):
        if data == "":
            raise serializers.ValidationError(
                gettext("An empty string is not an id; send null for none."), code="incorrect_type"
            )
        return super().run_validation(data)


class IntegerField(serializers.IntegerField):
    """An integer within explicit bounds: 32-bit unless `min_value`/`max_value` say else."""

    def __init__(self, **kwargs):
        if not kwargs.get("read_only"):
            if kwargs.get("min_value") is None:
                kwargs["min_value"] = INT32_MIN
            if kwargs.get("max_value") is None:
                kwargs["max_value"] = INT32_MAX
        super().__init__(**kwargs)


class DateField(serializers.DateField):
    """An ISO date from 1900; `not_future=True` for what has happened (births, surveys...)."""

    def __init__(self, *, not_future: bool = False, **kwargs):
        self.not_future = not_future
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        problem = date_problem(parsed, not_future=self.not_future)
        if problem:
            raise serializers.ValidationError(problem, code="invalid_date")
        return parsed


class DateTimeField(serializers.DateTimeField):
    """An ISO date-time with an existing UTC offset, from 1900. `max_ahead`: how far in the
    future it may be (None: any time; a device's clock: CLOCK_SKEW)."""

    def __init__(self, *, max_ahead: timedelta | None = None, **kwargs):
        self.max_ahead = max_ahead
        super().__init__(**kwargs)

    def enforce_timezone(self, value):
        # Called with the datetime as parsed, offset included, before it is converted.
        problem = datetime_problem(value, max_ahead=self.max_ahead)
        if problem:
            raise serializers.ValidationError(problem, code="invalid_datetime")
        return super().enforce_timezone(value)


def _mapped(field_class: type) -> type:
    return {
        serializers.CharField: CharField,
        serializers.IntegerField: IntegerField,
        serializers.DateField: DateField,
        serializers.DateTimeField: DateTimeField,
    }.get(field_class, field_class)


class ModelSerializer(serializers.ModelSerializer):
    # (Comments, not a docstring: the schema would show it for every serializer.) Integer
    # columns take the values their type holds on every database: the same bounds on SQLite
    # as on PostgreSQL, and in the schema. Dates and times are parsed strictly; a date that
    # cannot be in the future says so in `extra_kwargs` (`{"not_future": True}`).

    serializer_field_mapping = {
        model_field: _mapped(field_class)
        for model_field, field_class in serializers.ModelSerializer.serializer_field_mapping.items()
    }
    serializer_related_field = PrimaryKeyRelatedField

    def get_fields(self):
        # Building the fields from the model (`build_field` for each) cost about a third of
        # a household's serialisation, on every request. They depend on the class alone (no
        # serializer here builds them from its context or instance), so they are built once
        # per class and each serializer gets its own copies (what DRF does for declared
        # fields), bound to it afterwards as usual. A plain field is copied shallowly: binding
        # only sets its own attributes (name, parent, source), and nothing here changes a
        # field's validators or choices afterwards; a nested serializer, which keeps state of
        # its own (its fields), is copied whole, as DRF does.
        built = type(self).__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            type(self)._built_fields = built
        return {
            name: copy.deepcopy(field)
            if isinstance(field, serializers.BaseSerializer)
            else copy.copy(field)
            for name, field in built.items()
        }

    def to_representation(self, instance):
        # DRF's loop, with the plain columns (text, integers, booleans, UUIDs, dates, choices,
        # foreign keys as ids) read straight from the instance: the same output at about half
        # the cost per row. Everything else goes through its field as DRF does.
        if isinstance(instance, Mapping):
            return super().to_representation(instance)
        plan = self.__dict__.get("_plan")
        if plan is None:
            plan = self._plan = [_reader(field, instance) for field in self._readable_fields]
            self._plan_zone = self._zone()
        data = {}
        zone = self._plan_zone
        for name, attname, convert, field in plan:
            if convert is not None:
                value = getattr(instance, attname, _MISSING)
                if value is None:
                    data[name] = None
                    continue
                if value is not _MISSING and not callable(value):  # DRF would call it
                    value = convert(field, value, zone)
                    if value is not _MISSING:
                        data[name] = value
                        continue
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            data[name] = None if check is None else field.to_representation(attribute)
        return data

    def _zone(self):
        """The zone DRF turns date-times to: the current one, asked once per response (each
        asking costs about 4 µs, and a page of households asks for every row)."""
        root = self.root
        zone = root.__dict__.get("_current_zone")
        if zone is None:
            zone = root._current_zone = timezone.get_current_timezone()
        return zone

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(model_field, models.IntegerField) and not kwargs.get("read_only"):
            low, high = integer_range(model_field)
            given_low, given_high = kwargs.get("min_value"), kwargs.get("max_value")
            kwargs["min_value"] = low if given_low is None else max(low, given_low)
            kwargs["max_value"] = high if given_high is None else min(high, given_high)
        return field_class, kwargs


# ---------------------------------------------------------------------------- fast reads

_MISSING = object()


def _date(field, value, zone):
    if isinstance(value, datetime) or not isinstance(value, date):
        return _MISSING  # DRF's own checks and messages
    return value.isoformat()


def _choice(field, value, zone):
    return field.choice_strings_to_values.get(value, value) if type(value) is str else _MISSING


def _boolean(field, value, zone):
    return value if type(value) is bool else _MISSING


def _datetime(field, value, zone):
    if type(value) is not datetime or value.utcoffset() is None:  # naive or not a datetime
        return _MISSING
    text = value.astimezone(getattr(field, "timezone", zone)).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _same(field, value, zone):
    return value


# Exact classes only: a subclass may represent its values otherwise.
_CONVERTERS = {
    serializers.CharField: lambda field, value, zone: str(value),
    CharField: lambda field, value, zone: str(value),
    serializers.IntegerField: lambda field, value, zone: int(value),
    IntegerField: lambda field, value, zone: int(value),
    serializers.BooleanField: _boolean,
    serializers.ChoiceField: _choice,
    serializers.DateField: _date,
    DateField: _date,
}


def _reader(field, instance) -> tuple:
    """(name, attribute, converter or None, field) for `ModelSerializer.to_representation`."""
    attname, convert = field.source, None
    kind = type(field)
    if len(field.source_attrs) != 1 or field.source == "*":
        pass  # a dotted source or the whole instance: the field reads it
    elif kind in (serializers.PrimaryKeyRelatedField, PrimaryKeyRelatedField):
        if field.pk_field is None:
            with contextlib.suppress(FieldDoesNotExist):
                attname, convert = instance._meta.get_field(field.source).attname, _same
    elif kind is serializers.UUIDField:
        if field.uuid_format == "hex_verbose":
            convert = lambda field, value, zone: str(value)  # noqa: E731
    elif kind in (serializers.DateField, DateField):
        if str(getattr(field, "format", api_settings.DATE_FORMAT)).lower() == ISO_8601:
            convert = _date
    elif kind in (serializers.DateTimeField, DateTimeField):
        if str(getattr(field, "format", api_settings.DATETIME_FORMAT)).lower() == ISO_8601:
            convert = _datetime
    else:
        convert = _CONVERTERS.get(kind)
    return field.field_name, attname, convert, field
