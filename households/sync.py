"""Home Affairs registry sync (Home Affairs → us), set-based.

`sync_records(records, actor=..., dry_run=...)` applies registry records to the register and
reports one outcome per record: created, updated, unchanged or rejected. `run_job(job)` is the
background handler (core.jobs kind "registry_sync") for uploaded files.

Record shape (JSON object; one per household)::

    {"external_id": "HK-06652-000123",        # the registry's household ID (Household.external_id)
     "commune": "06652",                      # commune-level unit code
     "address": "Số 12, Tổ 3",
     "members": [                             # every resident the registry lists, head included
        {"external_id": "CD-000000001",       # the registry's person ID (Member.external_id)
         "full_name": "Đặng Thị Hoà",
         "date_of_birth": "1984-02-29",       # YYYY-MM-DD, not in the future, from 1900
         "sex": "male" | "female",
         "ethnicity": "01",                   # code of households.EthnicGroup
         "relationship": "head" | "spouse" | ...,   # households.choices.Relationship
         "citizen_id": "022184001234" | null}]}     # 12 digits, consistent with sex and birth year

Files: a JSON array of records, NDJSON (one record per line) or CSV with one row per member and
the household columns repeated (the rows of a household are consecutive)::

    household_external_id,commune,address,member_external_id,full_name,date_of_birth,sex,
    ethnicity,relationship,citizen_id

(UTF-8, header row required, an empty citizen_id is null, other columns are ignored.)

Field ownership. The registry owns identity and residence:

- household: commune, address;
- member: full_name, date_of_birth, sex, citizen_id, ethnicity, relationship, and membership
  (which household a person the registry knows lives in, and whether they are present there).

Everything else (phone, village, location, status of households, survey data, ...) is ours and a
sync never writes it, with two consequences of residence: a household the registry moves to
another commune loses its village (villages belong to a commune; reported as a note), and a
person the registry stops listing in a household is marked moved out (today), as a person it
starts listing (again) is marked present there, moved from another household if need be (both
merged like the other fields, below). People we registered ourselves (no external_id) are never
touched. Members are matched by external_id, then, in a household the registry already knows,
among members without an external_id: by citizen ID, or else the only one with the same
folded name and date of birth and no other citizen ID (they are adopted: given the registry's
ID, their later changes merged like the others).

Local edits: each household and member keeps, in `registry_snapshot`, the values the registry
sent last. Each registry-owned field is merged three ways (current, last sent, now sent):

- now sent = current: nothing to do;
- now sent = last sent (the registry did not change it) but current differs: the local edit
  stands;
- current = last sent (not edited locally): the registry's new value is applied;
- all three differ (edited locally and changed by the registry), or there is no snapshot yet
  and the values differ: the registry's value is applied (it is the authority) and the record's
  outcome lists a conflict with the local value, the registry's value and the previous registry
  value, so that nothing is lost (the history keeps the old row too).

A record is rejected (field path, code, reason; the others go on) when it is malformed, names
an unknown commune or ethnic group, has not exactly one head, carries an invalid citizen ID or
one inconsistent with sex and birth year, a date in the future, a citizen ID that another
person already holds, a household or person outside the actor's area, a household we closed
or merged, an ID repeated in the same chunk, or when applying it would leave its household with
other than one present head (for instance next to a head we registered ourselves). A deceased
person is never revived by a sync (reported as a conflict). A household that loses its head to
a move the registry made is left without one (reported as a note) until its own record comes.

Writing is set-based, per chunk of CHUNK_SIZE records, each chunk one transaction: two reads
per chunk (the chunk's households, their members; two more only for people or citizen IDs
found elsewhere), the records planned in Python against them, then the planned rows written to
two temporary tables (COPY on PostgreSQL, executemany on SQLite) and applied with one INSERT …
SELECT and one UPDATE … FROM per table (two for members, so that a new head is set only after
the old one stepped down), then history rows and one change-feed event per created or updated
row (payload by core.feed.payload_sql), each by INSERT … SELECT from the plan (new rows) or
from the rows just updated, and a set-based scan for possible duplicates of the members
written. No statement scans a whole table of the register: each reaches the chunk's rows by
key (the chunk's lookups are made to: _index_lookups). Updates are guarded by the version
that was read (optimistic locking): a concurrent change makes the chunk start again.
Unchanged records write nothing: a replayed batch leaves no trace.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import itertools
import json
import operator
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core import files, jobs
from core.access import Access, Perm, require
from core.audit import Channel
from core.errors import Conflict, InvalidInput
from core.feed import ACTIONS, payload_sql, reserve
from core.ids import new_id
from core.models import ChangeEvent, Job
from core.text import fold, printable, text_problem
from geo.models import Commune, EthnicGroup

from .choices import (
    DuplicateReason,
    DuplicateStatus,
    HouseholdStatus,
    MemberStatus,
    Relationship,
    Sex,
    Source,
)
from .identity import EXTERNAL_ID_PATTERN, citizen_id_errors
from .models import DuplicateCandidate, Household, Member
from .services import citizen_id_taken

CHUNK_SIZE = 5000
MAX_ATTEMPTS = 3  # a chunk that met a concurrent change is started again this often
FORMATS = ("json", "ndjson", "csv")
CSV_COLUMNS = (
    "household_external_id",
    "commune",
    "address",
    "member_external_id",
    "full_name",
    "date_of_birth",
    "sex",
    "ethnicity",
    "relationship",
    "citizen_id",
)
MEDIA_DIR = "registry-sync"
REPORT_SAMPLE = 100  # rejected records kept in job.report (all of them are in the report file)

CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"
OUTCOMES = (CREATED, UPDATED, UNCHANGED, REJECTED)

HOUSEHOLD_OWNED = ("commune", "address")
MEMBER_OWNED = ("full_name", "date_of_birth", "sex", "citizen_id", "ethnicity", "relationship")
# Columns whose change is a visible change of a member (history row, feed event, new version).
_MEMBER_VISIBLE = (
    "household_id",
    "full_name",
    "date_of_birth",
    "sex",
    "ethnicity_id",
    "relationship",
    "citizen_id",
    "status",
    "status_date",
    "external_id",
)
_HOUSEHOLD_VISIBLE = ("commune_id", "village_id", "address")
_MEMBER_COLUMN = {"ethnicity": "ethnicity_id"}
_HISTORY_META = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user",
    "history_channel",
}
REASON = "Home Affairs registry sync"
ELSEWHERE = "the province can resolve it."  # what a caller is told of data outside their area
_NO_SNAPSHOT = object()  # "last sent" when the registry never sent this row
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
MIN_BIRTH_DATE = date(1900, 1, 1)
SEXES = frozenset(Sex.values)
RELATIONSHIPS = frozenset(Relationship.values)

_fold_name = functools.lru_cache(maxsize=200_000)(fold)


class MalformedFile(InvalidInput):
    """The input cannot be read at all (not a JSON array, CSV without its header ...)."""

    code = "malformed_file"


class ConcurrentChange(Conflict):
    """Rows changed between a chunk's read and its write (the chunk is started again)."""

    code = "concurrent_change"


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

    @property
    def rejected(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.outcome == REJECTED]

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "counts": self.counts,
            "records": [o.as_dict() for o in self.outcomes],
        }


@dataclass(frozen=True)
class ParseProblem:
    """An item of a file that could not be read as a record (it is rejected, others go on)."""

    reason: str
    field: str = "record"
    external_id: str | None = None
    code: str = "malformed"


def _error(path: str, code: str, reason: str) -> dict[str, str]:
    return {"field": path, "code": code, "reason": reason}


# ---------------------------------------------------------------------------- reading files


def detect_format(name: str = "", content_type: str = "") -> str | None:
    suffix = Path(name).suffix.lower()
    by_suffix = {".csv": "csv", ".ndjson": "ndjson", ".jsonl": "ndjson", ".json": "json"}
    if suffix in by_suffix:
        return by_suffix[suffix]
    content_type = (content_type or "").split(";")[0].strip().lower()
    return {
        "text/csv": "csv",
        "application/x-ndjson": "ndjson",
        "application/jsonl": "ndjson",
        "application/json": "json",
    }.get(content_type)


def iter_json_array(stream: IO[str], bufsize: int = 1 << 20) -> Iterator[Any]:
    """The items of a JSON array, decoded one at a time (the file is never held whole)."""
    decoder = json.JSONDecoder()
    buf, pos, eof = "", 0, False

    def more() -> None:
        nonlocal buf, pos, eof
        chunk = stream.read(bufsize)
        eof = not chunk
        buf, pos = buf[pos:] + chunk, 0

    def peek() -> str:
        nonlocal pos
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n\ufeff":
                pos += 1
            if pos < len(buf):
                return buf[pos]
            if eof:
                return ""
            more()

    if peek() != "[":
        raise MalformedFile("The file is not a JSON array of records.")
    pos += 1
    if peek() == "]":
        return
    index = -1
    while True:
        if peek() == "":
            raise MalformedFile("Invalid JSON: the array is not closed.")
        while True:
            try:
                item, end = decoder.raw_decode(buf, pos)
            except json.JSONDecodeError as exc:
                if eof:
                    raise MalformedFile(f"Invalid JSON: {exc}") from None
                more()
                continue
            except RecursionError:  # where such a record ends is not known: the file stops
                raise MalformedFile(
                    f"Invalid JSON: record {index + 1} is nested too deeply."
                ) from None
            if end >= len(buf) and not eof:  # a number or literal may go on in the next read
                more()
                continue
            break
        pos = end
        index += 1
        yield item
        separator = peek()
        pos += 1
        if separator == "]":
            return
        if separator != ",":
            raise MalformedFile("Invalid JSON: expected ',' or ']' between records.")


def iter_ndjson(stream: IO[str]) -> Iterator[Any]:
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError as exc:
            yield ParseProblem(f"Line {number} is not valid JSON: {exc.msg}.")
        except RecursionError:
            yield ParseProblem(f"Line {number} is nested too deeply.")


def iter_csv(stream: IO[str]) -> Iterator[Any]:
    reader = csv.DictReader(stream)
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise MalformedFile(f"The CSV header lacks the column(s) {', '.join(missing)}.")
    for key, group in itertools.groupby(reader, key=lambda row: row["household_external_id"]):
        rows = list(group)
        first = rows[0]
        differing = [
            c
            for c in ("commune", "address")
            if any((row[c] or "") != (first[c] or "") for row in rows[1:])
        ]
        if differing:
            yield ParseProblem(
                f"The rows of household {key} differ in {', '.join(differing)}.",
                field=differing[0],
                external_id=printable(key) or None,
                code="inconsistent_rows",
            )
            continue
        yield {
            "external_id": key,
            "commune": first["commune"],
            "address": first["address"],
            "members": [
                {
                    "external_id": row["member_external_id"],
                    "full_name": row["full_name"],
                    "date_of_birth": row["date_of_birth"],
                    "sex": row["sex"],
                    "ethnicity": row["ethnicity"],
                    "relationship": row["relationship"],
                    "citizen_id": row["citizen_id"] or None,
                }
                for row in rows
            ],
        }


# Files are UTF-8; bytes that are not are kept (as lone surrogates) so that the record holding
# them is rejected with the field's path (core.text) and the others go on.
_TEXT = {"encoding": "utf-8-sig", "errors": "surrogateescape"}


def read_records(path: Path, fmt: str) -> Iterator[Any]:
    if fmt not in FORMATS:
        raise MalformedFile(f"Unknown format {fmt!r}; one of {', '.join(FORMATS)}.")
    with open(path, **_TEXT, newline="" if fmt == "csv" else None) as stream:
        if fmt == "json":
            yield from iter_json_array(stream)
        elif fmt == "ndjson":
            yield from iter_ndjson(stream)
        else:
            yield from iter_csv(stream)


def count_records(path: Path, fmt: str) -> int:
    if fmt == "ndjson":
        with open(path, **_TEXT) as stream:
            return sum(1 for line in stream if line.strip())
    return sum(1 for _ in read_records(path, fmt))


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
class _Context:
    actor: Any
    access: Access
    communes: dict[str, str]  # code -> province code
    ethnicities: frozenset[str]
    today: date

    @classmethod
    def build(cls, actor) -> _Context:
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
        errors.append(_error(path, "required", "This field is required."))
        return None
    if not isinstance(value, str):
        errors.append(_error(path, "invalid", "Must be a string."))
        return None
    if len(value) > max_length:
        errors.append(_error(path, "too_long", f"At most {max_length} characters."))
        return None
    if problem := text_problem(value):
        errors.append(_error(path, *problem))
        return None
    return value


def _external_id(value: Any, path: str, errors: list) -> str | None:
    value = _text(value, path, errors, max_length=64)
    if value is not None and not EXTERNAL_ID_PATTERN.match(value):
        errors.append(_error(path, "invalid", "Visible ASCII characters only (no spaces)."))
        return None
    return value


def _birth_date(value: Any, path: str, errors: list, today: date) -> date | None:
    if not isinstance(value, str) or not _DATE.match(value):
        errors.append(_error(path, "invalid_date", "A date as YYYY-MM-DD is required."))
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        errors.append(_error(path, "invalid_date", f"{value} is not a date."))
        return None
    if parsed > today:
        errors.append(_error(path, "future_date", "Date of birth is in the future."))
        return None
    if parsed < MIN_BIRTH_DATE:
        errors.append(_error(path, "invalid_date", "Date of birth is before 1900."))
        return None
    return parsed


def _member(raw: Any, pos: int, ctx: _Context, errors: list) -> InMember | None:
    p = f"members.{pos}."
    if not isinstance(raw, dict):
        errors.append(_error(f"members.{pos}", "invalid", "A member is a JSON object."))
        return None
    before = len(errors)
    external_id = _external_id(raw.get("external_id"), p + "external_id", errors)
    full_name = _text(raw.get("full_name"), p + "full_name", errors, max_length=150)
    dob = _birth_date(raw.get("date_of_birth"), p + "date_of_birth", errors, ctx.today)
    sex = raw.get("sex")
    if not isinstance(sex, str) or sex not in SEXES:
        errors.append(_error(p + "sex", "invalid_choice", "One of male, female."))
        sex = None
    ethnicity = raw.get("ethnicity")
    if not isinstance(ethnicity, str) or ethnicity not in ctx.ethnicities:
        errors.append(_error(p + "ethnicity", "invalid_choice", f"No ethnic group {ethnicity!r}."))
    relationship = raw.get("relationship")
    if not isinstance(relationship, str) or relationship not in RELATIONSHIPS:
        errors.append(
            _error(p + "relationship", "invalid_choice", f"Not a relationship: {relationship!r}.")
        )
    citizen_id = raw.get("citizen_id")
    if citizen_id is not None and not isinstance(citizen_id, str):
        errors.append(_error(p + "citizen_id", "invalid", "Must be a string or null."))
        citizen_id = None
    citizen_id = (citizen_id or "").strip() or None
    if citizen_id:
        problems = citizen_id_errors(citizen_id, sex=sex, date_of_birth=dob)
        if problems:
            errors.append(_error(p + "citizen_id", "invalid_citizen_id", " ".join(problems)))
    if len(errors) > before:
        return None
    return InMember(
        pos=pos,
        external_id=external_id,
        full_name=full_name,
        name_folded=_fold_name(full_name),
        date_of_birth=dob,
        sex=sex,
        ethnicity=ethnicity,
        relationship=relationship,
        citizen_id=citizen_id,
    )


def validate_record(raw: Any, index: int, ctx: _Context) -> InHousehold | list[dict[str, str]]:
    """The record checked on its own (no database reads): normalised, or its errors."""
    if not isinstance(raw, dict):
        return [_error("record", "invalid", "A record is a JSON object.")]
    errors: list[dict[str, str]] = []
    external_id = _external_id(raw.get("external_id"), "external_id", errors)
    commune = raw.get("commune")
    if not isinstance(commune, str) or commune not in ctx.communes:
        errors.append(_error("commune", "unknown_commune", f"No commune with code {commune!r}."))
    elif not ctx.covers(commune):
        errors.append(_error("commune", "outside_area", f"Commune {commune} is outside your area."))
    address = _text(raw.get("address"), "address", errors, max_length=255)
    raw_members = raw.get("members")
    members: list[InMember] = []
    if not isinstance(raw_members, list) or not raw_members:
        errors.append(_error("members", "required", "At least one member, the head."))
    else:
        for pos, raw_member in enumerate(raw_members):
            member = _member(raw_member, pos, ctx, errors)
            if member is not None:
                members.append(member)
        if len(members) == len(raw_members):
            heads = sum(1 for m in members if m.relationship == Relationship.HEAD)
            if heads != 1:
                errors.append(
                    _error(
                        "members",
                        "one_head_required",
                        f"Exactly one member must be the head (found {heads}).",
                    )
                )
            for key in ("external_id", "citizen_id"):
                seen: dict[str, int] = {}
                for m in members:
                    value = getattr(m, key)
                    if value is not None and value in seen:
                        errors.append(
                            _error(
                                f"members.{m.pos}.{key}",
                                "duplicate_in_record",
                                f"Same {key} as members.{seen[value]}.",
                            )
                        )
                    seen.setdefault(value, m.pos)
    if errors:
        return errors
    for m in members:
        m.snapshot = _snapshot_text({**m.owned(), "household": external_id})
    snapshot = _snapshot_text({"commune": commune, "address": address})
    return InHousehold(index, external_id, commune, address, members, snapshot)


def _external_id_of(raw: Any) -> str | None:
    if isinstance(raw, ParseProblem):
        return raw.external_id
    value = raw.get("external_id") if isinstance(raw, dict) else None
    return printable(value) if isinstance(value, str) else None


def _prepare(items: list[tuple[int, Any]], ctx: _Context) -> tuple[list[InHousehold], list]:
    """Validate a chunk's records on their own and against each other (IDs repeated in the
    chunk). Pure Python, no database reads."""
    accepted: list[InHousehold] = []
    rejected: list[Outcome] = []
    households: dict[str, int] = {}
    people: dict[str, int] = {}
    citizen_ids: dict[str, int] = {}
    for index, raw in items:
        if isinstance(raw, ParseProblem):
            error = _error(raw.field, raw.code, raw.reason)
            rejected.append(Outcome(index, raw.external_id, REJECTED, errors=[error]))
            continue
        result = validate_record(raw, index, ctx)
        if isinstance(result, list):
            rejected.append(Outcome(index, _external_id_of(raw), REJECTED, errors=result))
            continue
        errors = []
        if result.external_id in households:
            errors.append(
                _error(
                    "external_id",
                    "duplicate_in_batch",
                    f"Household {result.external_id} is also record "
                    f"{households[result.external_id]} of this chunk.",
                )
            )
        for m in result.members:
            if m.external_id in people:
                errors.append(
                    _error(
                        f"members.{m.pos}.external_id",
                        "duplicate_in_batch",
                        f"Person {m.external_id} is also listed by record {people[m.external_id]}.",
                    )
                )
            if m.citizen_id and m.citizen_id in citizen_ids:
                errors.append(
                    _error(
                        f"members.{m.pos}.citizen_id",
                        "duplicate_in_batch",
                        f"Citizen ID {m.citizen_id} is also given in record "
                        f"{citizen_ids[m.citizen_id]}.",
                    )
                )
        if errors:
            rejected.append(Outcome(index, result.external_id, REJECTED, errors=errors))
            continue
        households[result.external_id] = index
        for m in result.members:
            people[m.external_id] = index
            if m.citizen_id:
                citizen_ids[m.citizen_id] = index
        accepted.append(result)
    return accepted, rejected


# ---------------------------------------------------------------------------- SQL helpers


def _is_pg() -> bool:
    return connection.vendor == "postgresql"


def _pg_array(values: Iterable[Any]) -> str:
    """A PostgreSQL array literal, every item quoted (cheaper than letting the driver dump a
    list, which runs regular expressions over each item)."""
    return (
        "{"
        + ",".join('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
        + "}"
    )


def _any(column: str, values: list, cast: str = "text") -> tuple[str, list]:
    """`column` is one of `values`, as one parameter (no limit on the number of values)."""
    if not values:
        return "1 = 0", []
    if _is_pg():
        return f"{_q(column)} = ANY(%s::{cast}[])", [_pg_array(values)]
    plain = [v.hex if isinstance(v, uuid.UUID) else v for v in values]
    return f"{_q(column)} IN (SELECT value FROM json_each(%s))", [json.dumps(plain)]


def _or(*conditions: tuple[str, list]) -> tuple[str, list]:
    sql = " OR ".join(f"({c})" for c, _ in conditions)
    return sql, [p for _, ps in conditions for p in ps]


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _concrete(model) -> list:
    return list(model._meta.concrete_fields)


def _to_uuid(value: Any) -> Any:
    return value if value is None or isinstance(value, uuid.UUID) else uuid.UUID(value)


def _to_date(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


_UUID_COLUMNS = {"id", "household_id", "village_id", "merged_into_id"}
_DATE_COLUMNS = {"date_of_birth", "status_date"}


def _select(model, columns: tuple[str, ...], where: tuple[str, list]) -> list[dict[str, Any]]:
    """Rows as dicts through a plain cursor (no model instances; snapshots as JSON text)."""
    pg = _is_pg()
    names = ", ".join(
        f"{_q(c)}::text" if pg and c == "registry_snapshot" else _q(c) for c in columns
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {names} FROM {_q(model._meta.db_table)} WHERE {where[0]}", where[1])
        rows = cursor.fetchall()
    if not pg:
        converters = [
            _to_uuid if c in _UUID_COLUMNS else _to_date if c in _DATE_COLUMNS else None
            for c in columns
        ]
        rows = [
            [
                v if convert is None else convert(v)
                for v, convert in zip(row, converters, strict=True)
            ]
            for row in rows
        ]
    return [dict(zip(columns, row, strict=True)) for row in rows]


@contextlib.contextmanager
def _index_lookups() -> Iterator[None]:
    """Reads by key that go through the indexes. A chunk looks up thousands of keys at once,
    most of which match nothing (new people); PostgreSQL, expecting a row for each, would
    rather read the whole table, once per chunk: a cost that grows with the register."""
    if not _is_pg():
        yield
        return
    # Local to the chunk's transaction (a savepoint): an error rolls the setting back too.
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_seqscan')")
        before = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('enable_seqscan', 'off', true)")
        yield
        cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [before])


_json_text = json.JSONEncoder(ensure_ascii=False).encode


@functools.lru_cache(maxsize=64)
def _jsonb_key_order(keys: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(keys, key=lambda k: (len(k.encode()), k.encode())))


def _snapshot_text(values: dict[str, Any]) -> str:
    """A snapshot as JSON text, keys in the order PostgreSQL prints a jsonb (shorter keys
    first, then bytewise) and with its separators, so that the stored value read back as text
    usually compares equal as a string (a mismatch only costs decoding it)."""
    return _json_text({k: values[k] for k in _jsonb_key_order(tuple(values))})


def _snapshot(text: Any) -> dict[str, Any] | None:
    if text is None or isinstance(text, dict):
        return text
    return json.loads(text)


def _same_snapshot(a: Any, b: Any) -> bool:
    return a == b or _snapshot(a) == _snapshot(b)


# What a chunk reads of the rows it may change (not the timestamps, location, search text).
_H_STATE = (
    "id",
    "code",
    "external_id",
    "commune_id",
    "village_id",
    "address",
    "phone",
    "status",
    "merged_into_id",
    "version",
    "registry_snapshot",
)
_M_STATE = (
    "id",
    "household_id",
    "full_name",
    "date_of_birth",
    "sex",
    "ethnicity_id",
    "relationship",
    "citizen_id",
    "status",
    "status_date",
    "external_id",
    "version",
    "registry_snapshot",
)
# Extra columns of the plan tables: what to do with the row.
_PLAN_EXTRA = [
    ("op", "varchar(10)", "text"),
    ("history_type", "varchar(1)", "text"),
    ("reason", "varchar(100)", "text"),
    ("old_version", "integer", "integer"),
    # where an updated row was before, when the update moved it (its change-feed event says so)
    ("prev_commune", "varchar(5)", "varchar(5)"),
    ("prev_village", "uuid", "char(32)"),
]
_MEMBER_PLAN_EXTRA = [
    *_PLAN_EXTRA,
    ("promote", "boolean", "bool"),
    ("dup", "boolean", "bool"),
    # the member's household's commune and village after the chunk
    ("area_commune", "varchar(5)", "varchar(5)"),
    ("area_village", "uuid", "char(32)"),
]


def _tracked_columns(model) -> list[str]:
    """The live table's columns that its django-simple-history table records."""
    return [
        f.column for f in model.history.model._meta.concrete_fields if f.name not in _HISTORY_META
    ]


class _PlanTable:
    """A temporary table of planned rows: the model's columns plus what to do with each row."""

    def __init__(self, name: str, model, extra: list[tuple[str, str, str]]):
        self.name = name
        self.fields = _concrete(model)
        self.extra = extra
        self.names = [f.attname for f in self.fields] + [name for name, _, _ in extra]

    @property
    def qualified(self) -> str:
        """The temporary table, never a regular one of the same name."""
        return f"{'pg_temp' if _is_pg() else 'temp'}.{self.name}"

    def drop(self, cursor) -> None:
        cursor.execute(f"DROP TABLE {self.qualified}")

    def create(self, cursor) -> None:
        pg = _is_pg()
        columns = [f"{_q(f.column)} {f.db_type(connection)}" for f in self.fields]
        columns += [f"{name} {pg_type if pg else lite}" for name, pg_type, lite in self.extra]
        cursor.execute(f"DROP TABLE IF EXISTS {self.qualified}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {self.name} ({', '.join(columns)})"
            + (" ON COMMIT DROP" if pg else "")
        )

    def write(self, cursor, rows: list[dict[str, Any]]) -> None:
        """COPY on PostgreSQL, executemany on SQLite. Rows to create have every column; rows
        to update only those they change (the others go as NULL and are not used)."""
        get = operator.itemgetter(*self.names)

        def values(row: dict[str, Any]) -> tuple:
            try:
                return get(row)
            except KeyError:
                return tuple(row.get(n) for n in self.names)

        columns = ", ".join(_q(f.column) for f in self.fields) + ", "
        columns += ", ".join(name for name, _, _ in self.extra)
        if _is_pg():
            with cursor.copy(f"COPY {self.name} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(values(row))
            return
        adapters = [_sqlite_adapter(f) for f in self.fields]
        adapters += [_UUID_HEX if lite == "char(32)" else None for _, _, lite in self.extra]
        tuples = [
            [
                v if a is None or v is None else a(v)
                for v, a in zip(values(row), adapters, strict=True)
            ]
            for row in rows
        ]
        marks = ", ".join(["%s"] * len(self.names))
        cursor.executemany(f"INSERT INTO {self.name} ({columns}) VALUES ({marks})", tuples)


_UUID_HEX = operator.attrgetter("hex")


def _sqlite_adapter(f) -> Callable[[Any], Any] | None:
    kind = (f.target_field if f.is_relation else f).get_internal_type()
    if kind == "UUIDField":
        return _UUID_HEX
    if f.get_internal_type() == "DateTimeField":
        return connection.ops.adapt_datetimefield_value
    if f.get_internal_type() == "DateField":
        return date.isoformat
    return None


H_PLAN = _PlanTable("sync_plan_household", Household, _PLAN_EXTRA)
M_PLAN = _PlanTable("sync_plan_member", Member, _MEMBER_PLAN_EXTRA)


# ---------------------------------------------------------------------------- the chunk


@dataclass
class _State:
    """What the register holds for a chunk: two or three reads, whatever the chunk's size."""

    households: dict[uuid.UUID, dict[str, Any]]
    household_by_ext: dict[str, dict[str, Any]]
    members: dict[uuid.UUID, dict[str, Any]]
    member_by_ext: dict[str, dict[str, Any]]
    member_by_citizen_id: dict[str, dict[str, Any]]
    members_of: dict[uuid.UUID, list[uuid.UUID]]

    @classmethod
    def load(cls, records: list[InHousehold]) -> _State:
        """The chunk's households and all their members; then, only for the person IDs and
        citizen IDs not found there (new people, moves, IDs held elsewhere), those people,
        their households and those households' members. A replayed chunk costs two reads."""
        with _index_lookups():
            return cls._load(records)

    @classmethod
    def _load(cls, records: list[InHousehold]) -> _State:
        household_ids = [r.external_id for r in records]
        households = {
            row["id"]: row
            for row in _select(Household, _H_STATE, _any("external_id", household_ids))
        }
        members = {
            row["id"]: row
            for row in _select(Member, _M_STATE, _any("household_id", list(households), "uuid"))
        }
        people = {m["external_id"] for m in members.values()}
        holders = {m["citizen_id"] for m in members.values()}
        missing_people = [
            m.external_id for r in records for m in r.members if m.external_id not in people
        ]
        missing_citizen_ids = [
            m.citizen_id
            for r in records
            for m in r.members
            if m.citizen_id and m.citizen_id not in holders
        ]
        if missing_people or missing_citizen_ids:
            found = _select(
                Member,
                _M_STATE,
                _or(
                    _any("external_id", missing_people),
                    _any("citizen_id", missing_citizen_ids),
                ),
            )
            others = sorted({row["household_id"] for row in found} - households.keys())
            if others:
                for row in _select(Household, _H_STATE, _any("id", others, "uuid")):
                    households[row["id"]] = row
                for row in _select(Member, _M_STATE, _any("household_id", others, "uuid")):
                    members.setdefault(row["id"], row)
            for row in found:
                members.setdefault(row["id"], row)
        members_of: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for row in members.values():
            members_of[row["household_id"]].append(row["id"])
        return cls(
            households=households,
            household_by_ext={h["external_id"]: h for h in households.values() if h["external_id"]},
            members=members,
            member_by_ext={m["external_id"]: m for m in members.values() if m["external_id"]},
            member_by_citizen_id={m["citizen_id"]: m for m in members.values() if m["citizen_id"]},
            members_of=members_of,
        )


def _merge(current: Any, last: Any, incoming: Any) -> tuple[Any, bool]:
    """Three-way merge of a registry-owned value: (final value, conflict?)."""
    if incoming == current:
        return current, False
    if last is not _NO_SNAPSHOT:
        if incoming == last:
            return current, False  # the registry did not change it: the local edit stands
        if current == last:
            return incoming, False  # not edited locally: the registry's change applies
    return incoming, True  # both changed (or no baseline): the registry wins, reported


def _last(snapshot: dict[str, Any] | None, name: str) -> Any:
    return _NO_SNAPSHOT if snapshot is None else snapshot.get(name)


def _conflict(path: str, local: Any, registry: Any, last: Any) -> dict[str, Any]:
    return {
        "field": path,
        "local": local,
        "registry": registry,
        "previous_registry": None if last is _NO_SNAPSHOT else last,
    }


def _owned_member_values(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "full_name": row["full_name"],
        "date_of_birth": row["date_of_birth"].isoformat(),
        "sex": row["sex"],
        "citizen_id": row["citizen_id"],
        "ethnicity": row["ethnicity_id"],
        "relationship": row["relationship"],
    }


def _set_owned_member_values(row: dict[str, Any], values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name == "date_of_birth":
            value = date.fromisoformat(value)
        row[_MEMBER_COLUMN.get(name, name)] = value
    row["name_folded"] = _fold_name(row["full_name"])


def _unchanged_member(current: dict[str, Any], m: InMember, hid) -> bool:
    """The fast path: the person is already exactly as the registry sends them."""
    return (
        current["household_id"] == hid
        and current["full_name"] == m.full_name
        and current["date_of_birth"] == m.date_of_birth
        and current["relationship"] == m.relationship
        and current["citizen_id"] == m.citizen_id
        and current["sex"] == m.sex
        and current["ethnicity_id"] == m.ethnicity
        and current["status"] == MemberStatus.PRESENT
        and current["registry_snapshot"] == m.snapshot
    )


class _Planner:
    """Decides, for the chunk's records, every row to create or update (no writes).

    `households` and `members` hold the final values of the rows that change (copies of the
    rows read, or new rows); rows already as the registry sends them are never copied."""

    def __init__(self, ctx: _Context, state: _State, records: list[InHousehold], ids: dict):
        self.ctx, self.state, self.records, self.ids = ctx, state, records, ids
        self.now = timezone.now()
        self.outcomes: dict[int, Outcome] = {}
        self.rejected: dict[int, Outcome] = {}
        self.households: dict[uuid.UUID, dict[str, Any]] = {}
        self.members: dict[uuid.UUID, dict[str, Any]] = {}
        self.record_of_household: dict[uuid.UUID, InHousehold] = {}
        self.household_of_record: dict[int, uuid.UUID] = {}
        self.listed: dict[uuid.UUID, tuple[InHousehold, int]] = {}  # member -> record, position
        self.member_reasons: dict[uuid.UUID, str] = {}
        self.final: dict[uuid.UUID, list[dict[str, Any]]] = {}

    # -------------------------------------------------------------- helpers

    def reject(self, record: InHousehold, path: str, code: str, reason: str) -> None:
        outcome = self.rejected.setdefault(
            record.index, Outcome(record.index, record.external_id, REJECTED)
        )
        outcome.errors.append(_error(path, code, reason))

    def new_id(self, *key) -> uuid.UUID:
        """The same new ID for the same record (or member) when the chunk is planned again."""
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = new_id()
        return found

    def household_row(self, hid: uuid.UUID) -> dict[str, Any]:
        row = self.households.get(hid)
        if row is None:
            row = self.households[hid] = dict(self.state.households[hid])
        return row

    def member_row(self, mid: uuid.UUID) -> dict[str, Any]:
        row = self.members.get(mid)
        if row is None:
            row = self.members[mid] = dict(self.state.members[mid])
            row["name_folded"] = _fold_name(row["full_name"])
        return row

    def area(self, hid: uuid.UUID) -> tuple[str, Any]:
        """A household's (commune, village) after the chunk."""
        row = self.households.get(hid) or self.state.households[hid]
        return row["commune_id"], row["village_id"]

    def previous_area(self, kind: str, row: dict[str, Any]) -> tuple[str | None, Any]:
        """Where an updated household or member was before, if the update moved it."""
        if kind == "household":
            before = self.state.households[row["id"]]
            here = (row["commune_id"], row["village_id"])
            previous = (before["commune_id"], before["village_id"])
        else:
            here = self.area(row["household_id"])
            previous = self.area(self.state.members[row["id"]]["household_id"])
        return previous if previous != here else (None, None)

    def label(self, hid: uuid.UUID) -> str:
        row = self.households.get(hid) or self.state.households.get(hid)
        if row is None:
            return str(hid)
        return row["code"] or row["external_id"] or str(hid)

    # -------------------------------------------------------------- planning

    def run(self) -> _Planner:
        for record in self.records:
            self.plan_record(record)
        for record in self.records:
            if record.index not in self.rejected:
                self.plan_absent(record)
        if not self.rejected:
            self.check_households()
            self.check_citizen_ids()
        if not self.rejected:
            self.decide_ops()
        return self

    def plan_record(self, record: InHousehold) -> None:
        ctx = self.ctx
        outcome = Outcome(record.index, record.external_id, UNCHANGED)
        current = self.state.household_by_ext.get(record.external_id)
        if current is not None:
            hid = current["id"]
            if not ctx.covers(current["commune_id"]):
                self.reject(
                    record,
                    "external_id",
                    "outside_area",
                    f"Household {record.external_id} is registered outside your area; " + ELSEWHERE,
                )
                return
            if current["status"] != HouseholdStatus.ACTIVE:
                self.reject(
                    record,
                    "external_id",
                    "household_not_active",
                    f"Household {current['code']} is {current['status']}; the registry record "
                    "was not applied.",
                )
                return
            outcome.household, outcome.code = str(hid), current["code"]
            if not (
                current["commune_id"] == record.commune
                and current["address"] == record.address
                and current["registry_snapshot"] == record.snapshot
            ):
                self.plan_household_fields(record, current, outcome)
        else:
            hid = self.new_id(record.index)
            self.households[hid] = {
                "id": hid,
                "code": None,
                "external_id": record.external_id,
                "commune_id": record.commune,
                "village_id": None,
                "address": record.address,
                "phone": "",
                "latitude": None,
                "longitude": None,
                "source": Source.REGISTRY_SYNC,
                "status": HouseholdStatus.ACTIVE,
                "status_reason": "",
                "status_date": None,
                "merged_into_id": None,
                "version": 1,
                "search_text": "",
                "registry_snapshot": record.snapshot,
                "created_at": self.now,
                "updated_at": self.now,
                "op": "create",
                "history_type": "+",
                "reason": REASON,
                "old_version": None,
                "prev_commune": None,
                "prev_village": None,
                "_new": True,
            }
            outcome.outcome, outcome.household = CREATED, str(hid)
        self.record_of_household[hid] = record
        self.household_of_record[record.index] = hid
        self.outcomes[record.index] = outcome
        for m in record.members:
            self.plan_member(record, outcome, hid, m)

    def plan_household_fields(self, record: InHousehold, current: dict, outcome: Outcome) -> None:
        row = self.household_row(current["id"])
        snapshot = _snapshot(current["registry_snapshot"])
        incoming = {"commune": record.commune, "address": record.address}
        for name in HOUSEHOLD_OWNED:
            column = "commune_id" if name == "commune" else name
            last = _last(snapshot, name)
            value, conflict = _merge(current[column], last, incoming[name])
            row[column] = value
            if conflict:
                outcome.conflicts.append(_conflict(name, current[column], incoming[name], last))
        if row["commune_id"] != current["commune_id"] and current["village_id"] is not None:
            row["village_id"] = None
            outcome.notes.append(
                f"Village cleared: the household moved from commune {current['commune_id']} "
                f"to {row['commune_id']}."
            )
        row["registry_snapshot"] = record.snapshot

    def plan_member(self, record: InHousehold, outcome: Outcome, hid, m: InMember) -> None:
        state, p = self.state, f"members.{m.pos}."
        current = state.member_by_ext.get(m.external_id)
        if current is not None and _unchanged_member(current, m, hid):
            self.listed[current["id"]] = (record, m.pos)
            return
        adopted = False
        if current is None and hid in state.households:
            current = self.local_match(hid, m)
            adopted = current is not None
        if current is None:
            mid = self.new_id(record.index, m.pos)
            self.members[mid] = {
                "id": mid,
                "household_id": hid,
                "full_name": m.full_name,
                "name_folded": m.name_folded,
                "date_of_birth": m.date_of_birth,
                "sex": m.sex,
                "ethnicity_id": m.ethnicity,
                "relationship": m.relationship,
                "citizen_id": m.citizen_id,
                "status": MemberStatus.PRESENT,
                "status_date": None,
                "external_id": m.external_id,
                "registry_snapshot": m.snapshot,
                "version": 1,
                "created_at": self.now,
                "updated_at": self.now,
                "op": "create",
                "history_type": "+",
                "reason": REASON,
                "old_version": None,
                "prev_commune": None,
                "prev_village": None,
                "promote": False,
                "dup": True,
                "_new": True,
            }
            self.listed[mid] = (record, m.pos)
            return
        mid = current["id"]
        self.listed[mid] = (record, m.pos)
        origin = current["household_id"]
        if origin != hid and not self.ctx.covers(state.households[origin]["commune_id"]):
            self.reject(
                record,
                p + "external_id",
                "outside_area",
                f"Person {m.external_id} is registered outside your area; " + ELSEWHERE,
            )
            return
        row = self.member_row(mid)
        snapshot = _snapshot(current["registry_snapshot"])
        if adopted:
            row["external_id"] = m.external_id
            outcome.notes.append(
                f"Member {current['full_name']}, registered locally, is registry person "
                f"{m.external_id} (same citizen ID, or same name and date of birth)."
            )
        # Membership: present in this household, merged like the other owned values.
        origin_row = state.households[origin]
        here_now = (
            (origin_row["external_id"] or f"local:{origin}")
            if current["status"] == MemberStatus.PRESENT
            else None
        )
        last = _last(snapshot, "household")
        membership, conflict = _merge(here_now, last, record.external_id)
        if membership == record.external_id and here_now != record.external_id:
            if current["status"] == MemberStatus.DECEASED:
                conflict = True
                outcome.notes.append(
                    f"Member {m.external_id} is recorded as deceased: not made present again."
                )
            else:
                row["household_id"] = hid
                row["status"] = MemberStatus.PRESENT
                if current["status"] != MemberStatus.PRESENT:
                    row["status_date"] = None
                if origin != hid:
                    self.member_reasons[mid] = (
                        f"Moved from household {self.label(origin)} by the registry"
                    )
                    outcome.notes.append(
                        f"Member {m.external_id} moved here from household {self.label(origin)}."
                    )
        if conflict:
            outcome.conflicts.append(
                _conflict(
                    p + "household",
                    {"household": self.label(origin), "status": current["status"]},
                    {"household": record.external_id, "status": MemberStatus.PRESENT.value},
                    last,
                )
            )
        # Identity and relationship. The relationship is to this household's head: it is only
        # taken when the person ends up here.
        local = _owned_member_values(current)
        incoming = m.owned()
        final = dict(local)
        for name in MEMBER_OWNED:
            if name == "relationship" and row["household_id"] != hid:
                continue
            last_value = _last(snapshot, name)
            value, conflict = _merge(local[name], last_value, incoming[name])
            final[name] = value
            if conflict:
                outcome.conflicts.append(
                    _conflict(p + name, local[name], incoming[name], last_value)
                )
        _set_owned_member_values(row, final)
        identity = ("citizen_id", "sex", "date_of_birth")
        if final["citizen_id"] and any(final[k] != incoming[k] for k in identity):
            problems = citizen_id_errors(
                final["citizen_id"],
                sex=final["sex"],
                date_of_birth=date.fromisoformat(final["date_of_birth"]),
            )
            if problems:
                self.reject(
                    record,
                    p + "citizen_id",
                    "inconsistent_with_local",
                    "With the values kept from local edits the citizen ID does not fit: "
                    + " ".join(problems),
                )
        row["registry_snapshot"] = m.snapshot

    def local_match(self, hid, m: InMember) -> dict[str, Any] | None:
        """A person we registered ourselves in this household (no registry ID yet, not
        matched to another listed person) who is this registry person: the same citizen ID,
        or else the only one with the same folded name and date of birth and no other
        citizen ID."""
        holder = self.state.member_by_citizen_id.get(m.citizen_id) if m.citizen_id else None
        if holder is not None:
            local = holder["household_id"] == hid and holder["external_id"] is None
            return holder if local and holder["id"] not in self.listed else None
        candidates = [
            row
            for mid in self.state.members_of.get(hid, ())
            for row in (self.state.members[mid],)
            if row["external_id"] is None
            and mid not in self.listed
            and row["date_of_birth"] == m.date_of_birth
            and _fold_name(row["full_name"]) == m.name_folded
            and (row["citizen_id"] is None or row["citizen_id"] == m.citizen_id)
        ]
        return candidates[0] if len(candidates) == 1 else None

    def plan_absent(self, record: InHousehold) -> None:
        """People the registry knows in this household but no longer lists: moved out."""
        hid = self.household_of_record[record.index]
        outcome = self.outcomes[record.index]
        for mid in self.state.members_of.get(hid, ()):
            current = self.state.members[mid]
            if current["external_id"] is None or mid in self.listed:
                continue
            snapshot = _snapshot(current["registry_snapshot"])
            here_now = record.external_id if current["status"] == MemberStatus.PRESENT else None
            last = _last(snapshot, "household")
            membership, conflict = _merge(here_now, last, None)
            if membership is None and here_now is not None:
                row = self.member_row(mid)
                row["status"] = MemberStatus.MOVED_OUT
                row["status_date"] = self.ctx.today
                self.member_reasons[mid] = "Not in the Home Affairs record: moved out"
                outcome.notes.append(
                    f"Member {current['external_id']} is no longer in the registry record: "
                    "marked moved out."
                )
            if conflict:
                outcome.conflicts.append(
                    _conflict(
                        "members",
                        {"member": current["external_id"], "status": current["status"]},
                        {"member": current["external_id"], "status": "not listed"},
                        last,
                    )
                )
            new_snapshot = {**(snapshot or {}), "household": None}
            if new_snapshot != snapshot:
                self.member_row(mid)["registry_snapshot"] = _snapshot_text(new_snapshot)

    def final_members(self) -> dict[uuid.UUID, list[dict[str, Any]]]:
        """Every member (final values) of every household whose row or members change."""
        state = self.state
        touched = set(self.households)
        for mid, row in self.members.items():
            touched.add(row["household_id"])
            before = state.members.get(mid)
            if before is not None:
                touched.add(before["household_id"])
        result: dict[uuid.UUID, list[dict[str, Any]]] = {hid: [] for hid in touched}
        for hid in touched:
            for mid in state.members_of.get(hid, ()):
                row = self.members.get(mid) or state.members[mid]
                if row["household_id"] == hid:
                    result[hid].append(row)
        for mid, row in self.members.items():
            before = state.members.get(mid)
            if before is None or row["household_id"] != before["household_id"]:
                result[row["household_id"]].append(row)
        return result

    def check_households(self) -> None:
        """Exactly one present head in each record's household after the change. Other
        households only lose people (moves the registry made): one left without its head is
        reported to the record that moved the head."""
        self.final = self.final_members()
        for hid, rows in self.final.items():
            present = [r for r in rows if r["status"] == MemberStatus.PRESENT]
            heads = [r for r in present if r["relationship"] == Relationship.HEAD]
            record = self.record_of_household.get(hid)
            if record is not None:
                if present and len(heads) != 1:
                    names = ", ".join(
                        f"{r['full_name']} ({r['external_id'] or 'registered locally'})"
                        for r in heads
                    )
                    self.reject(
                        record,
                        "members",
                        "one_head_required",
                        f"Applying the record would leave the household with {len(heads)} "
                        f"present heads{': ' + names if names else ''}; resolve it locally first.",
                    )
                continue
            if not present or heads:
                continue
            for mid in self.state.members_of.get(hid, ()):
                before = self.state.members[mid]
                moved = self.members.get(mid)
                if (
                    before["relationship"] == Relationship.HEAD
                    and before["status"] == MemberStatus.PRESENT
                    and moved is not None
                    and moved["household_id"] != hid
                    and mid in self.listed
                ):
                    by = self.listed[mid][0]
                    self.outcomes[by.index].notes.append(
                        f"Household {self.label(hid)} has no present head since "
                        f"{before['external_id']} moved: it gets one when its own record arrives."
                    )

    def check_citizen_ids(self) -> None:
        for mid, row in self.members.items():
            citizen_id = row["citizen_id"]
            before = self.state.members.get(mid)
            if not citizen_id or (before is not None and before["citizen_id"] == citizen_id):
                continue
            holder = self.state.member_by_citizen_id.get(citizen_id)
            if holder is not None and holder["id"] != mid:
                record, pos = self.listed[mid]
                where = self.state.households[holder["household_id"]]
                path = f"members.{pos}.citizen_id"
                refusal = citizen_id_taken(
                    citizen_id,
                    where["code"] if self.ctx.covers(where["commune_id"]) else None,
                    path,
                )
                self.reject(record, path, refusal.code, refusal.detail)

    def decide_ops(self) -> None:
        now = self.now
        changed_households: set[uuid.UUID] = set()
        for mid, row in self.members.items():
            if row.get("_new"):
                changed_households.add(row["household_id"])
                continue
            before = self.state.members[mid]
            if any(row[c] != before[c] for c in _MEMBER_VISIBLE):
                row.update(
                    op="update",
                    history_type="~",
                    reason=self.member_reasons.get(mid, REASON),
                    version=before["version"] + 1,
                    updated_at=now,
                    dup=any(
                        row[c] != before[c] for c in ("full_name", "date_of_birth", "household_id")
                    ),
                )
                changed_households.update({row["household_id"], before["household_id"]})
            elif not _same_snapshot(row["registry_snapshot"], before["registry_snapshot"]):
                row.update(op="snapshot", history_type=None, updated_at=None, dup=False)
            else:
                row["op"] = None
            row["old_version"] = before["version"]
            row["prev_commune"], row["prev_village"] = (
                self.previous_area("member", row) if row["op"] == "update" else (None, None)
            )
            row["promote"] = (
                row["op"] is not None
                and row["relationship"] == Relationship.HEAD
                and row["status"] == MemberStatus.PRESENT
                and not (
                    before["relationship"] == Relationship.HEAD
                    and before["status"] == MemberStatus.PRESENT
                    and before["household_id"] == row["household_id"]
                )
            )
        for hid in changed_households:
            if hid not in self.households:
                self.household_row(hid)
        for hid, row in self.households.items():
            if row.get("_new"):
                continue
            before = self.state.households[hid]
            if any(row[c] != before[c] for c in _HOUSEHOLD_VISIBLE):
                row.update(op="update", history_type="~", reason=REASON)
            elif hid in changed_households:
                row.update(op="touch", history_type=None)
            elif not _same_snapshot(row["registry_snapshot"], before["registry_snapshot"]):
                row.update(op="snapshot", history_type=None)
            else:
                row["op"] = None
            row["old_version"] = before["version"]
            row["prev_commune"], row["prev_village"] = (
                self.previous_area("household", row) if row["op"] == "update" else (None, None)
            )
            if row["op"] in ("update", "touch"):
                row.update(version=before["version"] + 1, updated_at=now)
            else:
                row.update(updated_at=None, search_text=None)
        listed_changes = {
            self.listed[mid][0].index
            for mid, row in self.members.items()
            if row["op"] in ("create", "update") and mid in self.listed
        }
        for record in self.records:
            outcome = self.outcomes[record.index]
            if outcome.outcome == CREATED:
                continue
            row = self.households.get(self.household_of_record[record.index])
            if (row is not None and row["op"] in ("update", "touch")) or (
                record.index in listed_changes
            ):
                outcome.outcome = UPDATED

    # -------------------------------------------------------------- search text

    def search_texts(self) -> None:
        """As households.services.refresh_search_text: the folded code, external ID, address,
        phone, then every member's name and citizen ID in member-id order. Folding each part
        (names are folded once and cached) and joining them with a space gives the same text
        as folding the parts joined with a space: fold works character by character and
        collapses and strips whitespace."""
        for hid, row in self.households.items():
            if row["op"] not in ("create", "update", "touch"):
                continue
            parts = [
                fold(row["code"]),
                fold(row["external_id"]),
                fold(row["address"]),
                fold(row["phone"]),
            ]
            for member in sorted(self.final.get(hid, ()), key=operator.itemgetter("id")):
                parts.append(_fold_name(member["full_name"]))
                parts.append(fold(member["citizen_id"]))
            row["search_text"] = " ".join(p for p in parts if p)


def _reserve_codes(planner: _Planner) -> None:
    """Household numbers for the new households: one range per commune, one UPDATE each,
    communes in code order (a fixed lock order)."""
    by_commune: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in planner.households.values():
        if row["op"] == "create":
            by_commune[row["commune_id"]].append(row)
    table = _q(Commune._meta.db_table)
    with connection.cursor() as cursor:
        for commune in sorted(by_commune):
            rows = by_commune[commune]
            cursor.execute(
                f"UPDATE {table} SET household_seq = household_seq + %s WHERE code = %s "
                "RETURNING household_seq",
                [len(rows), commune],
            )
            last = cursor.fetchone()[0]
            for number, row in enumerate(rows, last - len(rows) + 1):
                row["code"] = f"{commune}-{number:06d}"


def _write(planner: _Planner, ctx: _Context) -> None:
    households = [r for r in planner.households.values() if r["op"]]
    members = [r for r in planner.members.values() if r["op"]]
    if not households and not members:
        return
    _reserve_codes(planner)
    planner.search_texts()
    for record in planner.records:
        outcome = planner.outcomes[record.index]
        if outcome.outcome == CREATED:
            outcome.code = planner.households[uuid.UUID(outcome.household)]["code"]
    h, m = _q(Household._meta.db_table), _q(Member._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(planner.now)
    user_id = getattr(ctx.actor, "pk", None)
    with connection.cursor() as cursor:
        if _is_pg():
            # Fewer, larger merges of the trigram indexes' pending lists (as the demo load).
            cursor.execute("SET LOCAL gin_pending_list_limit = '64MB'")
        for row in members:
            row["area_commune"], row["area_village"] = planner.area(row["household_id"])
        H_PLAN.create(cursor)
        M_PLAN.create(cursor)
        H_PLAN.write(cursor, households)
        M_PLAN.write(cursor, members)
        h_cols = ", ".join(_q(f.column) for f in H_PLAN.fields)
        m_cols = ", ".join(_q(f.column) for f in M_PLAN.fields)
        cursor.execute(
            f"INSERT INTO {h} ({h_cols}) SELECT {h_cols} FROM {H_PLAN.name} WHERE op = 'create'"
        )
        cursor.execute(
            f"""UPDATE {h} AS t SET commune_id = p.commune_id, village_id = p.village_id,
                address = p.address, search_text = COALESCE(p.search_text, t.search_text),
                registry_snapshot = p.registry_snapshot, version = p.version,
                updated_at = COALESCE(p.updated_at, t.updated_at)
            FROM {H_PLAN.name} AS p
            WHERE t.id = p.id AND p.op <> 'create' AND t.version = p.old_version"""
        )
        if cursor.rowcount != sum(1 for r in households if r["op"] != "create"):
            raise ConcurrentChange("A household changed while the chunk was being synced.")
        # Pass 1: every update, a new head not yet (whoever steps down goes first, so the
        # one-present-head constraint holds after each row); pass 2: the new heads.
        cursor.execute(
            f"""UPDATE {m} AS t SET household_id = p.household_id, full_name = p.full_name,
                name_folded = p.name_folded, date_of_birth = p.date_of_birth, sex = p.sex,
                ethnicity_id = p.ethnicity_id,
                relationship = CASE WHEN p.promote THEN %s ELSE p.relationship END,
                citizen_id = p.citizen_id, status = p.status, status_date = p.status_date,
                external_id = p.external_id, registry_snapshot = p.registry_snapshot,
                version = p.version, updated_at = COALESCE(p.updated_at, t.updated_at)
            FROM {M_PLAN.name} AS p
            WHERE t.id = p.id AND p.op <> 'create' AND t.version = p.old_version""",
            [Relationship.OTHER_RELATIVE],
        )
        if cursor.rowcount != sum(1 for r in members if r["op"] != "create"):
            raise ConcurrentChange("A member changed while the chunk was being synced.")
        cursor.execute(
            f"""UPDATE {m} AS t SET relationship = %s FROM {M_PLAN.name} AS p
            WHERE t.id = p.id AND p.promote""",
            [Relationship.HEAD],
        )
        cursor.execute(
            f"INSERT INTO {m} ({m_cols}) SELECT {m_cols} FROM {M_PLAN.name} WHERE op = 'create'"
        )
        # History rows: new rows as planned, updated ones as they now are.
        for model, plan in ((Household, H_PLAN), (Member, M_PLAN)):
            columns = _tracked_columns(model)
            for history_type, source, alias in (("+", "", "p"), ("~", _live_join(model), "t")):
                cursor.execute(
                    f"""INSERT INTO {_q(model.history.model._meta.db_table)}
                        ({", ".join(_q(c) for c in columns)}, history_date,
                         history_change_reason, history_type, history_user_id, history_channel)
                    SELECT {", ".join(f"{alias}.{_q(c)}" for c in columns)}, %s, p.reason,
                        p.history_type, %s, %s
                    FROM {plan.name} AS p {source} WHERE p.history_type = %s""",
                    [now, user_id, Channel.REGISTRY_SYNC, history_type],
                )
        _record_duplicates(cursor)
        # Last, so that the feed's counter row (core.feed) is held only to the commit.
        _publish_events(cursor, planner, ctx, households, members)
        H_PLAN.drop(cursor)
        M_PLAN.drop(cursor)


def _live_join(model) -> str:
    """The rows a plan updates, as they are after the update (`t`)."""
    return f"JOIN {_q(model._meta.db_table)} AS t ON t.id = p.id"


def _publish_events(cursor, planner: _Planner, ctx: _Context, households, members) -> None:
    """One change-feed event per created or updated household and member, numbered in one
    reservation (core.feed.reserve) and written by INSERT … SELECT, with the payload
    core.feed.payload_of gives for a change made through the models: new rows as planned,
    updated ones as they now are. A member's area is its household's; a move gives the area
    it left (_Planner.previous_area)."""
    parts = [
        (kind, model, plan, history_type, sum(1 for r in rows if r["history_type"] == history_type))
        for kind, model, plan, rows in (
            ("household", Household, H_PLAN, households),
            ("member", Member, M_PLAN, members),
        )
        for history_type in ("+", "~")
    ]
    total = sum(part[-1] for part in parts)
    if not total:
        return
    seq = reserve(total)
    e = _q(ChangeEvent._meta.db_table)
    at = connection.ops.adapt_datetimefield_value(planner.now)
    user = getattr(ctx.actor, "username", "") or ""
    for kind, model, plan, history_type, count in parts:
        if not count:
            continue
        source, alias = ("", "p") if history_type == "+" else (_live_join(model), "t")
        area = (
            "p.commune_id, p.village_id"
            if kind == "household"
            else "p.area_commune, p.area_village"
        )
        cursor.execute(
            f"""INSERT INTO {e} (seq, at, entity, entity_id, action, commune, village,
                previous_commune, previous_village, channel, {_q("user")}, payload)
            SELECT %s + row_number() OVER (), %s, %s, p.id, %s, {area},
                p.prev_commune, p.prev_village, %s, %s, {payload_sql(model, alias)}
            FROM {plan.name} AS p {source} WHERE p.history_type = %s""",
            [seq - 1, at, kind, ACTIONS[history_type], Channel.REGISTRY_SYNC, user, history_type],
        )
        seq += count


def _record_duplicates(cursor) -> None:
    """Possible duplicates of the members written: same folded name and date of birth in the
    same commune (households.services.detect_duplicates, set-based)."""
    m, h = _q(Member._meta.db_table), _q(Household._meta.db_table)
    d = _q(DuplicateCandidate._meta.db_table)
    new_id = "gen_random_uuid()" if _is_pg() else "lower(hex(randomblob(16)))"
    cursor.execute(
        f"""INSERT INTO {d} (id, member_a_id, member_b_id, commune_id, reason, status,
                detected_at, resolution_note)
        SELECT {new_id}, x.a, x.b, x.commune_id, %s, %s, %s, ''
        FROM (
            SELECT DISTINCT
                CASE WHEN p.id < o.id THEN p.id ELSE o.id END AS a,
                CASE WHEN p.id < o.id THEN o.id ELSE p.id END AS b,
                p.area_commune AS commune_id
            FROM {M_PLAN.name} AS p
            JOIN {m} AS o ON o.name_folded = p.name_folded
                AND o.date_of_birth = p.date_of_birth AND o.id <> p.id
            JOIN {h} AS oh ON oh.id = o.household_id AND oh.commune_id = p.area_commune
            WHERE p.dup
        ) AS x
        WHERE NOT EXISTS (
            SELECT 1 FROM {d} AS c
            WHERE c.member_a_id = x.a AND c.member_b_id = x.b AND c.reason = %s)""",
        [
            DuplicateReason.NAME_BIRTH_DATE,
            DuplicateStatus.OPEN,
            connection.ops.adapt_datetimefield_value(timezone.now()),
            DuplicateReason.NAME_BIRTH_DATE,
        ],
    )


def _sync_chunk(records: list[InHousehold], ctx: _Context, dry_run: bool) -> list[Outcome]:
    """Plan the chunk (re-planning without the records found to be rejected) and write it."""
    state = _State.load(records)
    ids: dict = {}
    rejected: dict[int, Outcome] = {}
    while True:
        active = [r for r in records if r.index not in rejected]
        planner = _Planner(ctx, state, active, ids).run()
        if not planner.rejected:
            break
        rejected.update(planner.rejected)
    if not dry_run:
        _write(planner, ctx)
    outcomes = list(planner.outcomes.values()) + list(rejected.values())
    if dry_run:
        for outcome in outcomes:
            if outcome.outcome == CREATED:
                outcome.household = outcome.code = None  # not issued by a dry run
    return outcomes


def _run_chunk(records: list[InHousehold], ctx: _Context, dry_run: bool) -> list[Outcome]:
    """The chunk in a savepoint; started again after a concurrent change; split in halves
    when the database refuses it (a race lost on a unique constraint) until the record at
    fault is found and rejected."""
    if not records:
        return []
    for _ in range(MAX_ATTEMPTS):
        try:
            with transaction.atomic():
                outcomes = _sync_chunk(records, ctx, dry_run)
                if dry_run:
                    transaction.set_rollback(True)
                return outcomes
        except ConcurrentChange:
            continue
        except IntegrityError as exc:
            if len(records) == 1:
                record = records[0]
                return [
                    Outcome(
                        record.index,
                        record.external_id,
                        REJECTED,
                        errors=[_error("record", "integrity_conflict", str(exc).strip()[:500])],
                    )
                ]
            half = len(records) // 2
            return _run_chunk(records[:half], ctx, dry_run) + _run_chunk(
                records[half:], ctx, dry_run
            )
    raise ConcurrentChange(f"Rows kept changing during {MAX_ATTEMPTS} attempts; try again.")


# ---------------------------------------------------------------------------- entry points


def sync_records(
    records: Iterable[Any],
    *,
    actor,
    dry_run: bool = False,
    chunk_size: int | None = None,
    start: int = 0,
    on_chunk: Callable[[list[Outcome], int, dict[str, int]], None] | None = None,
    keep_outcomes: bool = True,
) -> SyncReport:
    """Sync registry records (dicts, see the module docstring) as `actor`, chunk by chunk.

    Each chunk is one transaction (a savepoint inside an outer transaction); `on_chunk(
    outcomes, next_index, chunk_counts)` runs inside it, after its writes, so that a job's
    checkpoint commits with the chunk. Records are numbered from `start`. A dry run plans and
    reports exactly as a real run but writes nothing.
    """
    ctx = _Context.build(actor)
    report = SyncReport(dry_run=dry_run)
    items = enumerate(records, start)
    chunk_size = chunk_size or CHUNK_SIZE

    def next_chunk():
        batch = list(itertools.islice(items, chunk_size))
        if not batch:
            return None
        accepted, rejected = _prepare(batch, ctx)
        return accepted, rejected, batch[-1][0] + 1

    while (prepared := next_chunk()) is not None:
        accepted, rejected, next_index = prepared
        with transaction.atomic():
            outcomes = _run_chunk(accepted, ctx, dry_run) + rejected
            outcomes.sort(key=lambda o: o.index)
            counts = Counter(o.outcome for o in outcomes)
            chunk_counts = {name: counts.get(name, 0) for name in OUTCOMES}
            for name, value in chunk_counts.items():
                report.counts[name] += value
            if keep_outcomes:
                report.outcomes.extend(outcomes)
            if on_chunk is not None:
                on_chunk(outcomes, next_index, chunk_counts)
    return report


def upload_path(job_id, fmt: str) -> str:
    """Where an uploaded registry file is kept (under MEDIA_ROOT), named after its job."""
    return f"{MEDIA_DIR}/{job_id}.{fmt}"


def report_path(job: Job) -> Path:
    """The job's report (NDJSON: every rejected record, and every record with conflicts or
    notes), next to the uploaded file."""
    return files.media_path(f"{MEDIA_DIR}/{job.pk}.report.ndjson")


def _keep_report_lines_before(path: Path, next_record: int) -> None:
    """On resume: drop what a chunk that did not commit had written to the report."""
    with open(path, encoding="utf-8") as stream:
        kept = [line for line in stream if line.strip() and json.loads(line)["index"] < next_record]
    with files.open_private(path, "w", encoding="utf-8") as stream:
        stream.writelines(kept)


def read_report(job: Job) -> Iterator[dict[str, Any]]:
    path = report_path(job)
    if not path.exists():
        return
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                yield json.loads(line)


def run_job(job: Job) -> None:
    """core.jobs handler for "registry_sync": params {path (under MEDIA_ROOT), format
    (json | ndjson | csv), dry_run, chunk_size (default CHUNK_SIZE)}. Resumes from
    checkpoint["next_record"]. Each chunk commits on its own with its checkpoint (fenced by
    the job's lease: a run that lost it rolls the chunk back and stops); the chunk's report
    lines are appended once the checkpoint is saved, and a resumed run first drops the lines
    of a chunk that never committed."""
    params = job.params
    path = files.media_path(params["path"])
    fmt = params.get("format") or detect_format(path.name)
    dry_run = bool(params.get("dry_run"))
    start = int((job.checkpoint or {}).get("next_record", 0))
    counts = {name: int((job.counts or {}).get(name, 0)) if start else 0 for name in OUTCOMES}
    total = job.total
    if total is None:
        total = count_records(path, fmt)
        jobs.progress(job, total=total)
    report_file = report_path(job)
    files.open_private(report_file, "a").close()
    _keep_report_lines_before(report_file, start)

    def on_chunk(outcomes: list[Outcome], next_index: int, chunk_counts: dict[str, int]) -> None:
        for name, value in chunk_counts.items():
            counts[name] += value
        jobs.progress(
            job,
            done=next_index,
            total=total,
            counts=dict(counts),
            checkpoint={"next_record": next_index},
        )
        lines = [
            json.dumps(o.as_dict(), ensure_ascii=False, default=str) + "\n"
            for o in outcomes
            if o.outcome == REJECTED or o.conflicts or o.notes
        ]
        if lines:
            with files.open_private(report_file, "a", encoding="utf-8") as stream:
                stream.writelines(lines)

    def records() -> Iterator[Any]:
        for record in itertools.islice(read_records(path, fmt), start, None):
            jobs.check_stop()  # between records: outside the chunks' transactions
            yield record

    sync_records(
        records(),
        actor=job.created_by,
        dry_run=dry_run,
        chunk_size=params.get("chunk_size"),
        start=start,
        on_chunk=on_chunk,
        keep_outcomes=False,
    )
    rejected = [r for r in read_report(job) if r["outcome"] == REJECTED]
    conflicts = sum(1 for r in read_report(job) if r["conflicts"])
    jobs.progress(
        job,
        done=total,
        report={
            "dry_run": dry_run,
            "format": fmt,
            "counts": dict(counts),
            "rejected_total": len(rejected),
            "rejected": rejected[:REPORT_SAMPLE],
            "records_with_conflicts": conflicts,
            "report_file": files.relative(report_file),
            "rejected_csv": f"/api/v1/registry-sync/{job.pk}/rejected.csv",
        },
    )
