"""Text the system accepts: valid Unicode without NUL characters. One rule for every door.

PostgreSQL stores no NUL character in text or jsonb (and SQLite would keep it silently), and
text that was not valid UTF-8 cannot be stored or answered at all. Such text arrives as:

- lone surrogates: bytes that are not UTF-8 decoded with `surrogateescape` (the JSON parsers
  and the registry files), or a `\\ud800` escape in JSON;
- U+FFFD, the replacement character: Django decodes query strings and form fields with
  `errors="replace"`, so that is all that is left of their invalid bytes.
"""

from __future__ import annotations

import json
import re
import unicodedata

from django.utils.translation import gettext, gettext_noop

_BAD = re.compile("[\x00\ud800-\udfff\ufffd]")

NUL_CHARACTER = "null_character"
INVALID_UTF8 = "invalid_utf8"


def text_problem(value: str) -> tuple[str, str] | None:
    """(code, reason) when `value` is not acceptable text, else None."""
    bad = _BAD.search(value)
    if bad is None:
        return None
    if bad.group() == "\x00":
        return NUL_CHARACTER, gettext("Contains a NUL character.")
    return INVALID_UTF8, gettext("Is not valid UTF-8 text.")


def printable(value: str) -> str:
    """`value` safe to echo in a message or a report: its bad characters escaped."""
    return _BAD.sub(lambda m: ascii(m.group())[1:-1], value)


# What Python's JSON reader says went wrong (the start of `JSONDecodeError.msg`), in words
# that can be translated: its own message is English, whatever the caller reads.
_JSON_REASONS = (
    ("Expecting value", gettext_noop("a value was expected")),
    ("Expecting property name", gettext_noop("a name in double quotes was expected")),
    ("Expecting ',' delimiter", gettext_noop("a comma was expected")),
    ("Expecting ':' delimiter", gettext_noop("a colon was expected")),
    ("Extra data", gettext_noop("more text follows the end of the value")),
    ("Unterminated string", gettext_noop("a string is not closed")),
    ("Invalid control character", gettext_noop("a control character inside a string")),
    ("Invalid \\uXXXX escape", gettext_noop("an invalid \\u escape")),
    ("Invalid \\escape", gettext_noop("an invalid backslash escape")),
)


def json_reason(exc: json.JSONDecodeError) -> str:
    """Why a text is not JSON, in the current language."""
    return next(
        (gettext(words) for start, words in _JSON_REASONS if exc.msg.startswith(start)),
        gettext("not valid JSON"),
    )


def json_problem(exc: json.JSONDecodeError) -> str:
    """Why a text is not JSON, and where in it, in the current language."""
    return gettext("Not valid JSON at line %(line)s, column %(column)s: %(reason)s.") % {
        "line": exc.lineno,
        "column": exc.colno,
        "reason": json_reason(exc),
    }


_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Lower-case, strip tone and vowel marks, map đ→d, collapse spaces.

    "Đặng Thị Hoà" -> "dang thi hoa". `đ`/`Đ` have no Unicode decomposition, so they are
    mapped explicitly.
    """
    if not text:
        return ""
    if text.isascii():  # nothing to strip (codes, IDs, phone numbers): the same, faster
        return " ".join(text.split()).lower()
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped).strip().lower()
