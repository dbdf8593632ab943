"""Where a sync's time goes: wall-clock seconds per stage, summed over the chunks, kept in
the job's report (`stage_seconds`) for operators and printed by bench/sync_throughput.py.
Two clock readings per stage and chunk: nothing to switch off."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

# The stages in the order a chunk runs them (the report lists them so).
STAGES = (
    "count",  # the job counts the file's records (once, before the first chunk)
    "parse",  # reading the file and decoding each record
    "validate",  # each record checked on its own and against its chunk (records.prepare)
    # waiting for the next chunk from the second process that parses and validates a large
    # file (integrations.sync.apart), and rebuilding its records; parse and validate then ran
    # beside the other stages
    "wait",
    "read",  # what the register holds for the chunk (state.load_state)
    "plan",  # the three-way merge of every record (planner.Planner)
    "codes",  # household codes reserved, search texts
    "staging",  # the plan tables created and filled (COPY on PostgreSQL)
    "households",  # INSERT … SELECT and UPDATE … FROM into the household table
    "members",  # the same into the member table
    "history",  # history rows
    "duplicates",  # the scan for possible duplicates of the members written
    "events",  # the chunk's change-feed events built, unnumbered (integrations.sync.writes)
    "checks",  # the deferred foreign-key checks of the rows written (PostgreSQL)
    "feed",  # the events numbered into the feed: its counter is held from here to the commit
    "checkpoint",  # the job's progress, checkpoint and report lines
    "commit",  # the chunk's commit (the log flush)
    # once, after the last chunk of a job that wrote: the trigram indexes' pending entries
    # merged (households.search.merge_pending_index_entries)
    "search indexes",
)


class Stages:
    """Seconds per stage (see STAGES), added up over the chunks of a run."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def add(self, stage: str, seconds: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(stage, time.perf_counter() - started)

    def as_dict(self) -> dict[str, float]:
        """The stages that ran, to the millisecond (a jsonb keeps its keys in its own order:
        STAGES gives the chunk's)."""
        return {s: round(self.seconds[s], 3) for s in STAGES if s in self.seconds}
