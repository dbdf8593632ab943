"""Identity merging: which member of ours a registry person is, and the three-way merge of
the identity fields the registry owns (name, birth date, sex, citizen ID, ethnicity,
relationship)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext

from households.choices import MemberStatus
from households.identity import citizen_id_errors

from .merge import conflict_entry, last_sent, merge_value
from .records import InHousehold, InMember, Outcome, fold_name

MEMBER_OWNED = ("full_name", "date_of_birth", "sex", "citizen_id", "ethnicity", "relationship")
MEMBER_COLUMN = {"ethnicity": "ethnicity_id"}


def owned_member_values(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "full_name": row["full_name"],
        "date_of_birth": row["date_of_birth"].isoformat(),
        "sex": row["sex"],
        "citizen_id": row["citizen_id"],
        "ethnicity": row["ethnicity_id"],
        "relationship": row["relationship"],
    }


def set_owned_member_values(row: dict[str, Any], values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name == "date_of_birth":
            value = date.fromisoformat(value)
        row[MEMBER_COLUMN.get(name, name)] = value
    row["name_folded"] = fold_name(row["full_name"])


def unchanged_member(current: dict[str, Any], m: InMember, hid) -> bool:
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


class IdentityMerge:
    """The identity half of the planner (integrations.sync.planner.Planner)."""

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
            and fold_name(row["full_name"]) == m.name_folded
            and (row["citizen_id"] is None or row["citizen_id"] == m.citizen_id)
        ]
        return candidates[0] if len(candidates) == 1 else None

    def merge_identity(
        self,
        record: InHousehold,
        outcome: Outcome,
        hid,
        m: InMember,
        current,
        row,
        snapshot,
        *,
        read_only: bool,
    ) -> None:
        """Identity and relationship. The relationship is to this household's head: it is
        only taken when the person ends up here. A citizen ID kept from a local edit must
        still fit the sex and birth year the merge ends with. A person who stays in a closed
        household is `read_only`: every value the merge would change is reported as a
        conflict, none is applied."""
        p = f"members.{m.pos}."
        local = owned_member_values(current)
        incoming = m.owned()
        final = dict(local)
        for name in MEMBER_OWNED:
            if name == "relationship" and row["household_id"] != hid:
                continue
            last_value = last_sent(snapshot, name)
            value, conflict = merge_value(local[name], last_value, incoming[name])
            final[name] = value
            if conflict or (read_only and value != local[name]):
                outcome.conflicts.append(
                    conflict_entry(p + name, local[name], incoming[name], last_value)
                )
        if read_only:
            if final != local:
                outcome.notes.append(
                    gettext(
                        "Member %(external_id)s is in closed household %(household)s: the "
                        "registry's values were not applied."
                    )
                    % {"external_id": m.external_id, "household": self.label(row["household_id"])}
                )
            return
        set_owned_member_values(row, final)
        identity = ("citizen_id", "sex", "date_of_birth")
        if final["citizen_id"] and any(final[k] != incoming[k] for k in identity):
            problems = citizen_id_errors(
                final["citizen_id"],
                sex=final["sex"],
                date_of_birth=date.fromisoformat(final["date_of_birth"]),
                translate=gettext,
            )
            if problems:
                self.reject(
                    record,
                    p + "citizen_id",
                    "inconsistent_with_local",
                    gettext(
                        "With the values kept from local edits the citizen ID does not fit: "
                        "%(problems)s"
                    )
                    % {"problems": " ".join(problems)},
                )
