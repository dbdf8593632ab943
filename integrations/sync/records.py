"""Record validation: each record checked on its own (no database reads), a chunk's records
put in file order where they repeat each other's IDs, and the outcomes reported per record."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext, ngettext

from core.access import Access, Perm, require
from core.dates import MIN_DATE
from core.text import fold, printable, text_problem
from geo.models import Commune, EthnicGroup
from households.choices import Relationship, Sex
from households.identity import EXTERNAL_ID_PATTERN, citizen_id_errors
from households.limits import member_count_problem

from .formats import ParseProblem
from .merge import snapshot_text
from .stages import Stages

CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"
OUTCOMES = (CREATED, UPDATED, UNCHANGED, REJECTED)

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
SEXES = frozenset(Sex.values)
RELATIONSHIPS = frozenset(Relationship.values)

fold_name = functools.lru_cache(maxsize=200_000)(fold)

# ---------------------------------------------------------------------------- results


@dataclass
class Outcome:
    index: int
    external_id: str | None
    outcome: str
    household: str | None = None
    code: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "external_id": self.external_id,
            "outcome": self.outcome,
            "household": self.household,
            "code": self.code,
            "errors": self.errors,
            "conflicts": self.conflicts,
            "notes": self.notes,
        }


@dataclass
class SyncReport:
    dry_run: bool = False
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    outcomes: list[Outcome] = field(default_factory=list)
    stages: Stages = field(default_factory=Stages)  # where the time went (not in as_dict)

    @property
    def rejected(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.outcome == REJECTED]

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "counts": self.counts,
            "records": [o.as_dict() for o in self.outcomes],
        }


def error(path: str, code: str, reason: str) -> dict[str, str]:
    return {"field": path, "code": code, "reason": reason}


# ---------------------------------------------------------------------------- validation


@dataclass(slots=True)
class InMember:
    pos: int
    external_id: str
    full_name: str
    name_folded: str
    date_of_birth: date
    sex: str
    ethnicity: str
    relationship: str
    citizen_id: str | None
    snapshot: str = ""  # what the registry sends, as the JSON text of registry_snapshot

    def owned(self) -> dict[str, Any]:
        return {
            "full_name": self.full_name,
            "date_of_birth": self.date_of_birth.isoformat(),
            "sex": self.sex,
            "citizen_id": self.citizen_id,
            "ethnicity": self.ethnicity,
            "relationship": self.relationship,
        }


@dataclass(slots=True)
class InHousehold:
    index: int
    external_id: str
    commune: str
    address: str
    members: list[InMember]
    snapshot: str = ""


@dataclass
class Context:
    actor: Any
    access: Access
    communes: dict[str, str]  # code -> province code
    ethnicities: frozenset[str]
    today: date
    stages: Stages = field(default_factory=Stages)  # seconds per stage of this run

    @classmethod
    def build(cls, actor) -> Context:
        return cls(
            actor=actor,
            access=require(actor, Perm.REGISTRY_EDIT),
            communes=dict(Commune.objects.values_list("code", "province_id")),
            ethnicities=frozenset(EthnicGroup.objects.values_list("code", flat=True)),
            today=timezone.localdate(),
        )

    def covers(self, commune: str) -> bool:
        province = self.communes.get(commune)
        return province is not None and self.access.covers(commune, province)


def _text(value: Any, path: str, errors: list, *, max_length: int) -> str | None:
    if isinstance(value, str):
        value = value.strip()
    if value is None or value == "":
        errors.append(error(path, "required", gettext("This field is required.")))
        return None
    if not isinstance(value, str):
        errors.append(error(path, "invalid", gettext("Must be a string.")))
        return None
    if len(value) > max_length:
        errors.append(
            error(
                path,
                "too_long",
                ngettext(
                    "At most %(limit)s character.", "At most %(limit)s characters.", max_length
                )
                % {"limit": max_length},
            )
        )
        return None
    if problem := text_problem(value):
        errors.append(error(path, *problem))
        return None
    return value


def _external_id(value: Any, path: str, errors: list) -> str | None:
    value = _text(value, path, errors, max_length=64)
    if value is not None and not EXTERNAL_ID_PATTERN.match(value):
        errors.append(error(path, "invalid", gettext("Visible ASCII characters only (no spaces).")))
        return None
    return value


def _birth_date(value: Any, path: str, errors: list, today: date) -> date | None:
    if not isinstance(value, str) or not _DATE.match(value):
        errors.append(error(path, "invalid_date", gettext("A date as YYYY-MM-DD is required.")))
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        errors.append(
            error(path, "invalid_date", gettext("%(value)s is not a date.") % {"value": value})
        )
        return None
    if parsed > today:
        errors.append(error(path, "future_date", gettext("Date of birth is in the future.")))
        return None
    if parsed < MIN_DATE:
        errors.append(error(path, "invalid_date", gettext("Date of birth is before 1900.")))
        return None
    return parsed


def _member(raw: Any, pos: int, ctx: Context, errors: list) -> InMember | None:
    p = f"members.{pos}."
    if not isinstance(raw, dict):
        errors.append(error(f"members.{pos}", "invalid", gettext("A member is a JSON object.")))
        return None
    before = len(errors)
    external_id = _external_id(raw.get("external_id"), p + "external_id", errors)
    full_name = _text(raw.get("full_name"), p + "full_name", errors, max_length=150)
    dob = _birth_date(raw.get("date_of_birth"), p + "date_of_birth", errors, ctx.today)
    sex = raw.get("sex")
    if not isinstance(sex, str) or sex not in SEXES:
        errors.append(error(p + "sex", "invalid_choice", gettext("One of male, female.")))
        sex = None
    ethnicity = raw.get("ethnicity")
    if not isinstance(ethnicity, str) or ethnicity not in ctx.ethnicities:
        errors.append(
            error(
                p + "ethnicity",
                "invalid_choice",
                gettext("No ethnic group %(code)s.") % {"code": repr(ethnicity)},
            )
        )
    relationship = raw.get("relationship")
    if not isinstance(relationship, str) or relationship not in RELATIONSHIPS:
        errors.append(
            error(
                p + "relationship",
                "invalid_choice",
                gettext("Not a relationship: %(value)s.") % {"value": repr(relationship)},
            )
        )
    citizen_id = raw.get("citizen_id")
    if citizen_id is not None and not isinstance(citizen_id, str):
        errors.append(error(p + "citizen_id", "invalid", gettext("Must be a string or null.")))
        citizen_id = None
    citizen_id = (citizen_id or "").strip() or None
    if citizen_id:
        problems = citizen_id_errors(citizen_id, sex=sex, date_of_birth=dob, translate=gettext)
        if problems:
            errors.append(error(p + "citizen_id", "invalid_citizen_id", " ".join(problems)))
    if len(errors) > before:
        return None
    return InMember(
        pos=pos,
        external_id=external_id,
        full_name=full_name,
        name_folded=fold_name(full_name),
        date_of_birth=dob,
        sex=sex,
        ethnicity=ethnicity,
        relationship=relationship,
        citizen_id=citizen_id,
    )


def validate_record(raw: Any, index: int, ctx: Context) -> InHousehold | list[dict[str, str]]:
    """The record checked on its own (no database reads): normalised, or its errors."""
    if not isinstance(raw, dict):
        return [error("record", "invalid", gettext("A record is a JSON object."))]
    errors: list[dict[str, str]] = []
    external_id = _external_id(raw.get("external_id"), "external_id", errors)
    commune = raw.get("commune")
    if not isinstance(commune, str) or commune not in ctx.communes:
        errors.append(
            error(
                "commune",
                "unknown_commune",
                gettext("No commune with code %(code)s.") % {"code": repr(commune)},
            )
        )
    elif not ctx.covers(commune):
        errors.append(
            error(
                "commune",
                "outside_area",
                gettext("Commune %(code)s is outside your area.") % {"code": commune},
            )
        )
    address = _text(raw.get("address"), "address", errors, max_length=255)
    raw_members = raw.get("members")
    members: list[InMember] = []
    if not isinstance(raw_members, list) or not raw_members:
        errors.append(error("members", "required", gettext("At least one member, the head.")))
    elif problem := member_count_problem(len(raw_members)):  # the limit of every door
        errors.append(error("members", "too_many_members", problem))
    else:
        for pos, raw_member in enumerate(raw_members):
            member = _member(raw_member, pos, ctx, errors)
            if member is not None:
                members.append(member)
        if len(members) == len(raw_members):
            heads = sum(1 for m in members if m.relationship == Relationship.HEAD)
            if heads != 1:
                errors.append(
                    error(
                        "members",
                        "one_head_required",
                        gettext("Exactly one member must be the head (found %(count)s).")
                        % {"count": heads},
                    )
                )
            for key in ("external_id", "citizen_id"):
                seen: dict[str, int] = {}
                for m in members:
                    value = getattr(m, key)
                    if value is not None and value in seen:
                        errors.append(
                            error(
                                f"members.{m.pos}.{key}",
                                "duplicate_in_record",
                                gettext("Same %(field)s as members.%(position)s.")
                                % {"field": key, "position": seen[value]},
                            )
                        )
                    seen.setdefault(value, m.pos)
    if errors:
        return errors
    for m in members:
        m.snapshot = snapshot_text({**m.owned(), "household": external_id})
    snapshot = snapshot_text({"commune": commune, "address": address})
    return InHousehold(index, external_id, commune, address, members, snapshot)


def _external_id_of(raw: Any) -> str | None:
    if isinstance(raw, ParseProblem):
        return raw.external_id
    value = raw.get("external_id") if isinstance(raw, dict) else None
    return printable(value) if isinstance(value, str) else None


def prepare(items: list[tuple[int, Any]], ctx: Context) -> tuple[list[InHousehold], list]:
    """Validate a chunk's records, each on its own. Pure Python, no database reads. (Records
    that repeat another's IDs are not refused here: `in_file_order`.)"""
    accepted: list[InHousehold] = []
    rejected: list[Outcome] = []
    for index, raw in items:
        if isinstance(raw, ParseProblem):
            problem = error(raw.field, raw.code, raw.reason)
            rejected.append(Outcome(index, raw.external_id, REJECTED, errors=[problem]))
            continue
        result = validate_record(raw, index, ctx)
        if isinstance(result, list):
            rejected.append(Outcome(index, _external_id_of(raw), REJECTED, errors=result))
        else:
            accepted.append(result)
    return accepted, rejected


def in_file_order(records: list[InHousehold]) -> list[list[InHousehold]]:
    """A chunk's records in rounds, so that the chunk gives what applying its records one by
    one, in the file's order, would give, wherever the chunks' boundaries fall: a record that
    names a household, a person or a citizen ID that an earlier record of the chunk names is
    planned in a round after that record's, against the register as the earlier rounds left
    it (each round is planned and written as a chunk was before). A file without such
    repeats is one round. Records in one round share none of these keys, so the planner
    never sees two claims on one household, person or citizen ID. (A chunk of several rounds
    holds the feed's counter from its first round's events to its commit.)"""
    round_of: dict[tuple[str, str], int] = {}
    rounds: list[list[InHousehold]] = []
    for record in records:
        keys = [("household", record.external_id)]
        for m in record.members:
            keys.append(("person", m.external_id))
            if m.citizen_id:
                keys.append(("citizen_id", m.citizen_id))
        number = max((round_of[k] + 1 for k in keys if k in round_of), default=0)
        if number == len(rounds):
            rounds.append([])
        rounds[number].append(record)
        for key in keys:
            round_of[key] = number
    return rounds
