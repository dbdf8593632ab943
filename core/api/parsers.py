"""Request parsers that refuse what the database or the renderer would choke on.

Every JSON and multipart body is checked as it is parsed: nesting deeper than
`API_MAX_JSON_DEPTH` levels is a 400 (not a RecursionError), and a NUL character or text that
is not valid UTF-8 in any key or value is a 400 that names the field
(`members.0.full_name`). JSON is decoded with `surrogateescape`, so that its invalid bytes can
be found and named rather than failing the whole body.

Endpoints that process items one by one (registry sync, field-app batches) use
`ItemsJSONParser`: depth-capped, but the text of each item is checked with the item, so that
one bad item does not fail the others (`text_errors`).

The size of a body is checked before it is read (core.api.limits).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.utils.translation import gettext, ngettext
from rest_framework import parsers, renderers
from rest_framework.exceptions import ErrorDetail, ParseError, ValidationError

from core.text import json_problem, printable, text_problem

# Only such text can hold a string that breaks the rule (an escape, a surrogate, NUL, U+FFFD);
# the others skip the walk over every string. (A false alarm only costs the walk.)
_SUSPECT = re.compile(r"[\x00\ud800-\udfff\ufffd]|\\u(?:0000|[dD][89a-fA-F]|[fF][fF][fF][dD])")


def _reject_constant(name: str) -> Any:
    raise ValueError(gettext("%(name)s is not a JSON value.") % {"name": name})


def _out_of_range(text: str) -> ValueError:
    shown = text if len(text) <= 30 else f"{text[:30]}…"  # named, not echoed whole
    return ValueError(gettext("The number %(number)s is out of range.") % {"number": shown})


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999: JSON, but no number anything can store
        raise _out_of_range(text)
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # more digits than Python converts (4,300): its own words are English
        raise _out_of_range(text) from None


def decode(raw: bytes) -> str:
    """UTF-8 (a BOM dropped), its invalid bytes kept as lone surrogates to be named later."""
    return raw.decode("utf-8-sig", "surrogateescape")


def loads(text: str) -> Any:
    """Parsed JSON, its nesting capped at API_MAX_JSON_DEPTH levels."""
    too_deep = ParseError(
        ngettext(
            "JSON nested deeper than %(max_depth)s level.",
            "JSON nested deeper than %(max_depth)s levels.",
            max_depth(),
        )
        % {"max_depth": max_depth()},
        code="too_deeply_nested",
    )
    try:
        data = json.loads(
            text, parse_constant=_reject_constant, parse_float=_finite, parse_int=_integer
        )
    except RecursionError:  # nested a thousand levels or so
        raise too_deep from None
    except json.JSONDecodeError as exc:
        raise ParseError(json_problem(exc)) from None
    except ValueError as exc:  # a constant or a number refused above, its reason translated
        raise ParseError(str(exc)) from None
    if _depth(data) > max_depth():
        raise too_deep
    return data


def max_depth() -> int:
    return settings.API_MAX_JSON_DEPTH


def _depth(data: Any) -> int:
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        deepest = max(deepest, depth)
        if depth <= max_depth():  # past the cap the answer is known
            stack.extend((item, depth + 1) for item in value if isinstance(item, dict | list))
    return deepest


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, text) of every key and string in a parsed value (depth is already capped)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            key = str(key)
            inner = f"{path}.{printable(key)}" if path else printable(key)
            yield inner, key
            yield from _strings(item, inner)
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from _strings(item, f"{path}.{position}" if path else str(position))


def text_errors(value: Any, path: str = "") -> dict[str, list[ErrorDetail]]:
    """Field path → error for each key or string of `value` that is not acceptable text."""
    errors: dict[str, list[ErrorDetail]] = {}
    for where, text in _strings(value, path):
        problem = text_problem(text)
        if problem is not None:
            code, reason = problem
            errors.setdefault(where or "non_field_errors", [ErrorDetail(reason, code=code)])
    return errors


def check_text(value: Any) -> None:
    errors = text_errors(value)
    if errors:
        raise ValidationError(errors)


class ItemsJSONParser(parsers.BaseParser):
    """JSON, depth-capped; its text is checked item by item by the view.

    Not a subclass of DRF's JSONParser, which reads the body through `request.body` and so
    under Django's DATA_UPLOAD_MAX_MEMORY_SIZE: the limits of core.api.limits apply instead.
    """

    media_type = "application/json"
    renderer_class = renderers.JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        return loads(decode(stream.read()))


class JSONParser(ItemsJSONParser):
    """JSON, depth-capped, with every key and string checked."""

    def parse(self, stream, media_type=None, parser_context=None):
        text = decode(stream.read())
        data = loads(text)
        if _SUSPECT.search(text):
            check_text(data)
        return data


def _check_form(fields) -> None:
    """Names and values of form fields (a QueryDict)."""
    errors: dict[str, list[ErrorDetail]] = {}
    for name, values in fields.lists():
        for value in [name, *values]:
            errors.update(text_errors(value, printable(name)))
    if errors:
        raise ValidationError(errors)


class MultiPartParser(parsers.MultiPartParser):
    """Form fields checked. (Django drops non-printable characters from file names, and a
    part whose headers are not UTF-8; a file's content is checked by what reads it.)"""

    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        _check_form(result.data)
        return result
