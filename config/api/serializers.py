"""The base of every model serializer: model fields read with the rules of config.api.fields."""

from __future__ import annotations

from django.db import models
from rest_framework import serializers

from . import fields


def _mapped(field_class: type) -> type:
    if field_class is serializers.IntegerField:
        return fields.IntegerField
    if field_class is serializers.DateField:
        return fields.DateField
    if field_class is serializers.DateTimeField:
        return fields.DateTimeField
    return field_class


class ModelSerializer(serializers.ModelSerializer):
    # (Comments, not a docstring: the schema would show it for every serializer.) Integer
    # columns take the values their type holds on every database: the same bounds on SQLite
    # as on PostgreSQL, and in the schema. Dates and times are parsed strictly; a date that
    # cannot be in the future says so in `extra_kwargs` (`{"not_future": True}`).

    serializer_field_mapping = {
        model_field: _mapped(field_class)
        for model_field, field_class in serializers.ModelSerializer.serializer_field_mapping.items()
    }

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if isinstance(model_field, models.IntegerField) and not kwargs.get("read_only"):
            low, high = fields.integer_range(model_field)
            given_low, given_high = kwargs.get("min_value"), kwargs.get("max_value")
            kwargs["min_value"] = low if given_low is None else max(low, given_low)
            kwargs["max_value"] = high if given_high is None else min(high, given_high)
        return field_class, kwargs
