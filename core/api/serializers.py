"""Serializer plumbing shared by every app."""

from __future__ import annotations

from typing import ClassVar

from core.personal import personal_fields

# Response components whose fields are blanked for some roles, by component name, for the
# schema hook below: {"Member": {"full_name", ...}, ...}.
MASKED_COMPONENTS: dict[str, frozenset[str]] = {}


class PersonalDataMixin:
    """Personal fields (names, identifiers, contact details, incomes, what people said) are
    null for roles without the right to read personal data."""

    # Blanks the personal fields of `personal_model` (default: Meta.model; the one definition
    # is core.personal) unless the context says the caller may see them (`show_personal`,
    # set by AreaScopedMixin from the role). Without that context they are blanked: a
    # serializer used by hand shows personal data only when told to.

    personal_model: ClassVar = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        model = cls.personal_model or getattr(getattr(cls, "Meta", None), "model", None)
        if model is not None:
            name = cls.__name__.removesuffix("Serializer")
            MASKED_COMPONENTS[name] = personal_fields(model)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        hidden = self.__dict__.get("_hidden")
        if hidden is None:  # asked once per serializer: a page's rows share its context
            shown = self.context.get("show_personal", False)
            model = self.personal_model or self.Meta.model
            hidden = self._hidden = frozenset() if shown else personal_fields(model)
        if hidden:
            for name in hidden & data.keys():
                data[name] = None
        return data


def mark_masked_nullable(result, generator, request, public):
    """drf-spectacular hook: fields blanked for some roles are nullable in responses."""
    schemas = result.get("components", {}).get("schemas", {})
    for name, fields in MASKED_COMPONENTS.items():
        properties = schemas.get(name, {}).get("properties", {})
        for field in fields & properties.keys():
            prop = properties[field]
            if "$ref" in prop:
                properties[field] = {"oneOf": [{"$ref": prop.pop("$ref")}], **prop}
                properties[field]["nullable"] = True
            else:
                prop["nullable"] = True
    return result
