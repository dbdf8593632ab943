"""Identity rules: citizen ID (CCCD), phone and external ID checks.

Pure functions with no Django imports, so they are used by models, services, the demo
generator and tests alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

# Identifiers are ASCII: `\d` would also take Arabic-Indic (٠-٩), Devanagari (०-९) and
# fullwidth (０-９) digits, and the same person could be registered twice under two spellings
# that neither search nor matching would see as one. `\Z` (not `$`) so that a trailing newline
# is no digit either; PostgreSQL reads the same patterns (the CHECK constraints on the tables).
CITIZEN_ID = "[0-9]{12}"
PHONE = "[0-9]{8,15}"
EXTERNAL_ID = "[!-~]{1,64}"  # visible ASCII, no spaces
CITIZEN_ID_PATTERN = re.compile(rf"^{CITIZEN_ID}\Z")
PHONE_PATTERN = re.compile(rf"^{PHONE}\Z")
EXTERNAL_ID_PATTERN = re.compile(rf"^{EXTERNAL_ID}\Z")
# The tables' CHECK of an external ID: this pattern and a length of at most
# EXTERNAL_ID_MAX_LENGTH, checked apart. PostgreSQL's regular expressions unroll a bounded
# repeat: `{1,64}` cost 16 µs a row against 1 µs for `+` and the length, on every household
# and member a registry sync writes (1.9 M for a province).
EXTERNAL_ID_CHECK = r"^[!-~]+\Z"
EXTERNAL_ID_MAX_LENGTH = 64


def api_pattern(fragment: str) -> str:
    """The same rule for an API field (its OpenAPI pattern is ECMA-262, which has no \\Z;
    the serializer trims whitespace first, so `$` cannot let a newline through)."""
    return f"^{fragment}$"


def _(text: str) -> str:
    """Marks an English text for translation (makemessages reads `_`); this module stays pure,
    its callers pass Django's gettext as `translate` where the text is shown."""
    return text


def _english(text: str) -> str:
    return text


def citizen_id_errors(
    citizen_id: str,
    *,
    sex: str | None = None,
    date_of_birth: date | None = None,
    translate: Callable[[str], str] = _english,
) -> list[str]:
    """Reasons the citizen ID is invalid (empty list when valid), in English unless
    `translate` (gettext) gives them in the active language.

    Layout: digits 1-3 place of birth registration, digit 4 century and
    sex (1900s: 0 male / 1 female; 2000s: 2/3; 2100s: 4/5; ...), digits 5-6 the last two
    digits of the birth year, digits 7-12 random. A number contradicting the recorded sex
    or birth year is reported.
    """
    if not CITIZEN_ID_PATTERN.match(citizen_id or ""):
        return [translate(_("A citizen ID is exactly 12 ASCII digits (0-9)."))]
    errors: list[str] = []
    if citizen_id[:3] == "000":
        errors.append(translate(_("Digits 1-3 (place of birth registration) cannot be 000.")))
    century_sex = int(citizen_id[3])
    century = 1900 + (century_sex // 2) * 100
    encoded_sex = "male" if century_sex % 2 == 0 else "female"
    encoded_year = century + int(citizen_id[4:6])
    if sex and sex != encoded_sex:
        errors.append(
            translate(
                _(
                    "Digit 4 (%(digit)s) encodes sex %(encoded)s, but the member is recorded "
                    "as %(sex)s."
                )
            )
            % {"digit": century_sex, "encoded": encoded_sex, "sex": sex}
        )
    if date_of_birth and date_of_birth.year != encoded_year:
        errors.append(
            translate(
                _("Digits 4-6 encode birth year %(encoded)s, but the member was born in %(year)s.")
            )
            % {"encoded": encoded_year, "year": date_of_birth.year}
        )
    return errors
