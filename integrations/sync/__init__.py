"""Home Affairs registry sync (Home Affairs → us), set-based.

`sync_records(records, actor=..., dry_run=...)` applies registry records to the register and
reports one outcome per record: created, updated, unchanged or rejected. `run_job(job)` is the
background handler (core.jobs kind "registry_sync") for uploaded files, which
`stage_upload(content, fmt, actor=...)` keeps and queues.

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
or merged, a person it would move from another household of ours when the actor may not move
members (`registry_lifecycle`, the right the API's move households.services.member_move
requires: field enumerators lack it), or when applying it would leave its household with
other than one present head (for instance next to a head we registered ourselves). A deceased
person is never revived by a sync (reported as a conflict). Records are applied in the file's
order: a file that names a household, a person or a citizen ID twice gives what two syncs one
after the other would give, wherever the chunks begin (records.in_file_order).
A person the merge leaves in a household we closed or merged (a local move the registry did
not change, a deceased person) is read-only there, as in the API (households.services
_assert_active): the identity values the merge would change are not applied but reported as
conflicts, with a note, and the person's snapshot keeps the identity values sent before, so
that they apply once the person is in an active household again (moved out by an officer, as
the API allows). A household that loses its head to a move the registry made is left without
one (reported as a note) until its own record comes.

Writing is set-based, per chunk of CHUNK_SIZE records, each chunk one transaction: two reads
per chunk (the chunk's households, their members; two more only for people or citizen IDs
found elsewhere), the records planned in Python against them, then the planned rows written to
two temporary tables (COPY on PostgreSQL, executemany on SQLite) and applied with one INSERT …
SELECT and one UPDATE … FROM per table (two for members, so that a new head is set only after
the old one stepped down), then history rows and one change-feed event per created or updated
row (payload by core.feed.payload_sql), each by INSERT … SELECT from the plan (new rows) or
from the rows just updated, and a set-based scan for possible duplicates of the members
written. No statement scans a whole table of the register: each reaches the chunk's rows by
key (the chunk's lookups are made to: db.index_lookups). Updates are guarded by the version
that was read (optimistic locking): a concurrent change makes the chunk start again.
Unchanged records write nothing: a replayed batch leaves no trace.

The package, by stage: formats (files), records (validation, outcomes), state (the chunk's
read), merge (the three-way merge of one value, snapshots), planner with identity and
membership (what each record changes), writes (the SQL), runner (chunks, the job, the upload
and report files), apart (a large file read and validated by a second process), stages (the
seconds per stage a job reports). Rows the sync writes in SQL and the services write through
the ORM are kept equal by households.twins (search text, duplicates, codes, keys) and
core.feed (payloads).
"""

from .formats import (
    CSV_COLUMNS,
    FORMATS,
    MalformedFile,
    detect_format,
    iter_json_array,
    read_records,
)
from .records import CREATED, OUTCOMES, REJECTED, UNCHANGED, UPDATED, Outcome, SyncReport
from .runner import (
    CHUNK_SIZE,
    read_report,
    report_path,
    run_job,
    stage_upload,
    sync_records,
    upload_path,
)
from .stages import STAGES, Stages
from .state import State, load_state

__all__ = [
    "CHUNK_SIZE",
    "CREATED",
    "CSV_COLUMNS",
    "FORMATS",
    "OUTCOMES",
    "REJECTED",
    "STAGES",
    "UNCHANGED",
    "UPDATED",
    "MalformedFile",
    "Outcome",
    "Stages",
    "State",
    "SyncReport",
    "detect_format",
    "iter_json_array",
    "load_state",
    "read_records",
    "read_report",
    "report_path",
    "run_job",
    "stage_upload",
    "sync_records",
    "upload_path",
]
