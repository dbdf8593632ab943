"""Membership merging: which household a registry person lives in and whether they are
present there, merged three ways like the other owned values (a person the registry starts
listing moves here; one it stops listing moves out), and the one-present-head check of the
households that gain or lose people."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils.translation import gettext

from core.access import Perm, refusal_message
from households.choices import MemberStatus, Relationship

from .merge import conflict_entry, last_sent, merge_value, parse_snapshot, snapshot_text
from .records import InHousehold, InMember, Outcome

# The reasons of the history rows a move writes are stored in English, as every service
# writes its history reasons (households.services: "Moved from household …"), whoever's
# language the sync ran in: they are data, not this run's messages.
MOVED_HERE_REASON = "Moved from household %(household)s by the registry"
MOVED_OUT_REASON = "Not in the Home Affairs record: moved out"


class MembershipMerge:
    """The membership half of the planner (integrations.sync.planner.Planner)."""

    def merge_membership(
        self, record: InHousehold, outcome: Outcome, hid, m: InMember, current, row, snapshot
    ) -> None:
        """Present in this household, merged like the other owned values."""
        state, p, mid = self.state, f"members.{m.pos}.", current["id"]
        origin = current["household_id"]
        origin_row = state.households[origin]
        here_now = (
            (origin_row["external_id"] or f"local:{origin}")
            if current["status"] == MemberStatus.PRESENT
            else None
        )
        last = last_sent(snapshot, "household")
        membership, conflict = merge_value(here_now, last, record.external_id)
        if membership == record.external_id and here_now != record.external_id:
            if current["status"] == MemberStatus.DECEASED:
                conflict = True
                outcome.notes.append(
                    gettext(
                        "Member %(external_id)s is recorded as deceased: not made present again."
                    )
                    % {"external_id": m.external_id}
                )
            else:
                if origin != hid and not self.ctx.access.can(Perm.REGISTRY_LIFECYCLE):
                    # Moving a person between households is the API's member move
                    # (households.services.member_move): the same right, or the record is
                    # refused. The origin is in the caller's area (Planner.plan_member).
                    self.reject(
                        record,
                        p + "external_id",
                        "permission_denied",
                        gettext(
                            "Person %(external_id)s is registered in another household: moving "
                            "them to this one was refused. %(refusal)s"
                        )
                        % {
                            "external_id": m.external_id,
                            "refusal": refusal_message(Perm.REGISTRY_LIFECYCLE),
                        },
                    )
                    return
                row["household_id"] = hid
                row["status"] = MemberStatus.PRESENT
                if current["status"] != MemberStatus.PRESENT:
                    row["status_date"] = None
                if origin != hid:
                    self.member_reasons[mid] = MOVED_HERE_REASON % {"household": self.label(origin)}
                    outcome.notes.append(
                        gettext("Member %(external_id)s moved here from household %(household)s.")
                        % {"external_id": m.external_id, "household": self.label(origin)}
                    )
        if conflict:
            outcome.conflicts.append(
                conflict_entry(
                    p + "household",
                    {"household": self.label(origin), "status": current["status"]},
                    {"household": record.external_id, "status": MemberStatus.PRESENT.value},
                    last,
                )
            )

    def plan_absent(self, record: InHousehold) -> None:
        """People the registry knows in this household but no longer lists: moved out."""
        hid = self.household_of_record[record.index]
        outcome = self.outcomes[record.index]
        for mid in self.state.members_of.get(hid, ()):
            current = self.state.members[mid]
            if current["external_id"] is None or mid in self.listed:
                continue
            snapshot = parse_snapshot(current["registry_snapshot"])
            here_now = record.external_id if current["status"] == MemberStatus.PRESENT else None
            last = last_sent(snapshot, "household")
            membership, conflict = merge_value(here_now, last, None)
            if membership is None and here_now is not None:
                row = self.member_row(mid)
                row["status"] = MemberStatus.MOVED_OUT
                row["status_date"] = self.ctx.today
                self.member_reasons[mid] = MOVED_OUT_REASON
                outcome.notes.append(
                    gettext(
                        "Member %(external_id)s is no longer in the registry record: marked "
                        "moved out."
                    )
                    % {"external_id": current["external_id"]}
                )
            if conflict:
                outcome.conflicts.append(
                    conflict_entry(
                        "members",
                        {"member": current["external_id"], "status": current["status"]},
                        {"member": current["external_id"], "status": "not listed"},
                        last,
                    )
                )
            new_snapshot = {**(snapshot or {}), "household": None}
            if new_snapshot != snapshot:
                self.member_row(mid)["registry_snapshot"] = snapshot_text(new_snapshot)

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
                    local = gettext("registered locally")
                    names = ", ".join(
                        f"{r['full_name']} ({r['external_id'] or local})" for r in heads
                    )
                    self.reject(
                        record,
                        "members",
                        "one_head_required",
                        (
                            gettext(
                                "Applying the record would leave the household with "
                                "%(count)s present heads: %(names)s; resolve it locally first."
                            )
                            % {"count": len(heads), "names": names}
                        )
                        if names
                        else gettext(
                            "Applying the record would leave the household with no present "
                            "head; resolve it locally first."
                        ),
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
                        gettext(
                            "Household %(household)s has no present head since %(external_id)s "
                            "moved: it gets one when its own record arrives."
                        )
                        % {"household": self.label(hid), "external_id": before["external_id"]}
                    )
