"""What the register holds for a chunk: the chunk's read (two or three queries whatever its
size, by key through the indexes)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from households.models import Household, Member, member_columns

from .db import any_of, index_lookups, or_, select_rows
from .records import InHousehold

# What a chunk reads of the rows it may change (not the timestamps, location, search text).
# What a chunk reads of the rows it may change (not the timestamps, location, search text).
H_STATE = (
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
M_STATE = ("id", *member_columns(), "version", "registry_snapshot")

# ---------------------------------------------------------------------------- the chunk


@dataclass
class State:
    """What the register holds for a chunk: two or three reads, whatever the chunk's size."""

    households: dict[uuid.UUID, dict[str, Any]]
    household_by_ext: dict[str, dict[str, Any]]
    members: dict[uuid.UUID, dict[str, Any]]
    member_by_ext: dict[str, dict[str, Any]]
    member_by_citizen_id: dict[str, dict[str, Any]]
    members_of: dict[uuid.UUID, list[uuid.UUID]]

    @classmethod
    def load(cls, records: list[InHousehold]) -> State:
        """The chunk's households and all their members; then, only for the person IDs and
        citizen IDs not found there (new people, moves, IDs held elsewhere), those people,
        their households and those households' members. A replayed chunk costs two reads."""
        with index_lookups():
            return cls._load(records)

    @classmethod
    def _load(cls, records: list[InHousehold]) -> State:
        household_ids = [r.external_id for r in records]
        households = {
            row["id"]: row
            for row in select_rows(Household, H_STATE, any_of("external_id", household_ids))
        }
        members = {
            row["id"]: row
            for row in select_rows(
                Member, M_STATE, any_of("household_id", list(households), "uuid")
            )
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
            found = select_rows(
                Member,
                M_STATE,
                or_(
                    any_of("external_id", missing_people),
                    any_of("citizen_id", missing_citizen_ids),
                ),
            )
            others = sorted({row["household_id"] for row in found} - households.keys())
            if others:
                for row in select_rows(Household, H_STATE, any_of("id", others, "uuid")):
                    households[row["id"]] = row
                for row in select_rows(Member, M_STATE, any_of("household_id", others, "uuid")):
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


def load_state(records: list[InHousehold]) -> State:
    """The chunk's read of the register (State.load)."""
    return State.load(records)
