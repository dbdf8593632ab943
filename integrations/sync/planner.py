"""The three-way-merge planner: for a chunk's records, against what the register holds
(integrations.sync.state), every row to create or update and each record's outcome. Nothing
is written here (integrations.sync.writes)."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from core.ids import new_id
from households.choices import HouseholdStatus, MemberStatus, Relationship, Source
from households.models import member_columns
from households.services import citizen_id_taken
from households.twins import search_text_of_rows

from .identity import IdentityMerge, unchanged_member
from .membership import MembershipMerge
from .merge import (
    conflict_entry,
    last_sent,
    merge_value,
    parse_snapshot,
    same_snapshot,
    snapshot_text,
)
from .records import (
    CREATED,
    REJECTED,
    UNCHANGED,
    UPDATED,
    Context,
    InHousehold,
    InMember,
    Outcome,
    error,
    fold_name,
)
from .state import State

HOUSEHOLD_OWNED = ("commune", "address")
# Columns whose change is a visible change of a member (history row, feed event, new version).
MEMBER_VISIBLE = member_columns()
HOUSEHOLD_VISIBLE = ("commune_id", "village_id", "address")

REASON = "Home Affairs registry sync"  # history rows' reason: stored in English (membership)


class Planner(MembershipMerge, IdentityMerge):
    """Decides, for the chunk's records, every row to create or update (no writes).
    Membership is merged by MembershipMerge (integrations.sync.membership), identity by
    IdentityMerge (integrations.sync.identity).

    `households` and `members` hold the final values of the rows that change (copies of the
    rows read, or new rows); rows already as the registry sends them are never copied."""

    def __init__(self, ctx: Context, state: State, records: list[InHousehold], ids: dict):
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
        outcome.errors.append(error(path, code, reason))

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
            row["name_folded"] = fold_name(row["full_name"])
        return row

    def area(self, hid: uuid.UUID) -> tuple[str, Any]:
        """A household's (commune, village) after the chunk."""
        row = self.households.get(hid) or self.state.households[hid]
        return row["commune_id"], row["village_id"]

    def previous_area(self, kind: str, row: dict[str, Any]) -> tuple[str | None, Any]:
        """Where an updated household or member was before the chunk, if the update moved
        it: for a member, where its household was then (one that moved in the chunk too is
        somewhere else now)."""
        if kind == "household":
            before = self.state.households[row["id"]]
            here = (row["commune_id"], row["village_id"])
        else:
            before = self.state.households[self.state.members[row["id"]]["household_id"]]
            here = self.area(row["household_id"])
        previous = (before["commune_id"], before["village_id"])
        return previous if previous != here else (None, None)

    def label(self, hid: uuid.UUID) -> str:
        row = self.households.get(hid) or self.state.households.get(hid)
        if row is None:
            return str(hid)
        return row["code"] or row["external_id"] or str(hid)

    def created(self) -> dict[str, Any]:
        """The columns and plan of a row the chunk creates (version 1, its history row "+")."""
        return {
            "version": 1,
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

    # -------------------------------------------------------------- planning

    def run(self) -> Planner:
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
                    # What a caller is told of data outside their area.
                    gettext(
                        "Household %(external_id)s is registered outside your area; the "
                        "province can resolve it."
                    )
                    % {"external_id": record.external_id},
                )
                return
            if current["status"] != HouseholdStatus.ACTIVE:
                self.reject(
                    record,
                    "external_id",
                    "household_not_active",
                    gettext(
                        "Household %(code)s is %(status)s; the registry record was not applied."
                    )
                    % {"code": current["code"], "status": current["status"]},
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
                "search_text": "",
                "registry_snapshot": record.snapshot,
                **self.created(),
            }
            outcome.outcome, outcome.household = CREATED, str(hid)
        self.record_of_household[hid] = record
        self.household_of_record[record.index] = hid
        self.outcomes[record.index] = outcome
        for m in record.members:
            self.plan_member(record, outcome, hid, m)

    def plan_household_fields(self, record: InHousehold, current: dict, outcome: Outcome) -> None:
        row = self.household_row(current["id"])
        snapshot = parse_snapshot(current["registry_snapshot"])
        incoming = {"commune": record.commune, "address": record.address}
        for name in HOUSEHOLD_OWNED:
            column = "commune_id" if name == "commune" else name
            last = last_sent(snapshot, name)
            value, conflict = merge_value(current[column], last, incoming[name])
            row[column] = value
            if conflict:
                outcome.conflicts.append(
                    conflict_entry(name, current[column], incoming[name], last)
                )
        if row["commune_id"] != current["commune_id"] and current["village_id"] is not None:
            row["village_id"] = None
            outcome.notes.append(
                gettext("Village cleared: the household moved from commune %(old)s to %(new)s.")
                % {"old": current["commune_id"], "new": row["commune_id"]}
            )
        row["registry_snapshot"] = record.snapshot

    def plan_member(self, record: InHousehold, outcome: Outcome, hid, m: InMember) -> None:
        state, p = self.state, f"members.{m.pos}."
        current = state.member_by_ext.get(m.external_id)
        if current is not None and unchanged_member(current, m, hid):
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
                **self.created(),
                "promote": False,
                "dup": True,
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
                gettext(
                    "Person %(external_id)s is registered outside your area; the province can "
                    "resolve it."
                )
                % {"external_id": m.external_id},
            )
            return
        row = self.member_row(mid)
        snapshot = parse_snapshot(current["registry_snapshot"])
        if adopted:
            row["external_id"] = m.external_id
            outcome.notes.append(
                gettext(
                    "Member %(name)s, registered locally, is registry person %(external_id)s "
                    "(same citizen ID, or same name and date of birth)."
                )
                % {"name": current["full_name"], "external_id": m.external_id}
            )
        self.merge_membership(record, outcome, hid, m, current, row, snapshot)
        # A person the membership merge leaves in a household we closed or merged (a local
        # move the registry did not change, a deceased person) is read-only, as in the API
        # (households.services._assert_active); this record's household is active.
        where = row["household_id"]
        read_only = where != hid and state.households[where]["status"] != HouseholdStatus.ACTIVE
        self.merge_identity(record, outcome, hid, m, current, row, snapshot, read_only=read_only)
        # The snapshot is the baseline of the next merge. A read-only person's takes the
        # household the registry sent (membership was merged as usual) but keeps the identity
        # values sent before: were the refused values recorded as sent, they would pass for
        # local edits at the next sync and never be applied.
        row["registry_snapshot"] = (
            snapshot_text({**(snapshot or {}), "household": record.external_id})
            if read_only
            else m.snapshot
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
            if any(row[c] != before[c] for c in MEMBER_VISIBLE):
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
            elif not same_snapshot(row["registry_snapshot"], before["registry_snapshot"]):
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
            if any(row[c] != before[c] for c in HOUSEHOLD_VISIBLE):
                row.update(op="update", history_type="~", reason=REASON)
            elif hid in changed_households:  # a new version, recorded, as the services do
                row.update(op="touch", history_type="~", reason=REASON)
            elif not same_snapshot(row["registry_snapshot"], before["registry_snapshot"]):
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
        """The search text of each household written, as households.services writes it
        (households.twins.search_text_of_rows: the folded address)."""
        for row in self.households.values():
            if row["op"] in ("create", "update", "touch"):
                row["search_text"] = search_text_of_rows(row)
