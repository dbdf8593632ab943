"""Each app's Vietnamese catalogue is complete, and its committed .mo is the compiled .po.

gettext is not needed on the machine that runs the app (the .mo files are committed), so a
.po edited without recompiling, or a message added without its translation, must fail here.
"""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest

from tests.test_layout import LAYERS

ROOT = Path(__file__).resolve().parents[2]
APPS = LAYERS  # every app has its Vietnamese catalogue
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|\{\w*\}")


def entries(po: Path) -> list[dict]:
    """The entries of a .po file (obsolete `#~` entries left out): flags, msgid, msgid_plural,
    msgstr (or msgstr[n])."""
    found, current, key = [], {}, None
    for line in [*po.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if current:
                found.append(current)
            current, key = {}, None
        elif line.startswith("#,"):
            current["flags"] = {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            current[key] = ast.literal_eval(value)
    return found


def key_of(entry: dict) -> str:
    """The entry's key in a compiled catalogue: `context\x04msgid` when it has a context."""
    if "msgctxt" in entry:
        return f"{entry['msgctxt']}\x04{entry['msgid']}"
    return entry["msgid"]


def catalogue(app: str) -> Path:
    return ROOT / app / "locale" / "vi" / "LC_MESSAGES" / "django.po"


@pytest.mark.parametrize("app", APPS)
def test_every_message_is_translated(app):
    po = entries(catalogue(app))
    header, messages = po[0], po[1:]
    assert header["msgid"] == "" and "fuzzy" not in header.get("flags", set())
    assert "Plural-Forms: nplurals=1; plural=0;" in header["msgstr"]
    assert messages
    untranslated = [
        e["msgid"]
        for e in messages
        if not e.get("msgstr", e.get("msgstr[0]")) or "fuzzy" in e.get("flags", set())
    ]
    assert not untranslated
    broken = [
        e["msgid"]
        for e in messages
        if sorted(PLACEHOLDER.findall(e["msgid"]))
        != sorted(PLACEHOLDER.findall(e.get("msgstr", e.get("msgstr[0]", ""))))
    ]
    assert not broken, "placeholders must be kept as they are"


@pytest.mark.parametrize("app", APPS)
def test_the_committed_mo_is_the_compiled_po(app):
    po = catalogue(app)
    with open(po.with_suffix(".mo"), "rb") as f:
        mo = gettext.GNUTranslations(f)
    compiled = {k: v for k, v in mo._catalog.items() if k != ""}
    expected = {}
    for e in entries(po)[1:]:
        if "msgid_plural" in e:
            expected[(key_of(e), 0)] = e["msgstr[0]"]
        else:
            expected[key_of(e)] = e["msgstr"]
    assert compiled == expected, (
        f"{app}: recompile: .venv/bin/python manage.py compilemessages --ignore=.venv"
    )
    assert mo.plural(1) == mo.plural(5) == 0  # Vietnamese: one form


def test_no_message_is_translated_two_ways():
    """Django merges the apps' catalogues into one (the first app listed wins), so a message
    translated differently in two apps would show one app's words in the other's screens;
    a message that must read differently takes a context (pgettext)."""
    seen: dict[str, dict[str, str]] = {}
    for app in APPS:
        for e in entries(catalogue(app))[1:]:
            seen.setdefault(key_of(e), {})[app] = e.get("msgstr", e.get("msgstr[0]"))
    differing = {k: v for k, v in seen.items() if len(set(v.values())) > 1}
    assert not differing
