"""A large registry file read and validated by a second process, a chunk or two ahead of the
chunks being written: parsing and validation (a fifth of a first load, nearly half of a
replay) run on another core while this process plans and the database writes.

Only for a job's file (runner.run_job) of at least APART_MIN_RECORDS records, where `fork`
exists. The child is a fork of the worker: it has the job's context (actor's area, communes,
ethnic groups, language) and never touches the database. It sends each chunk's records as
plain tuples (rebuilding them here costs a fifth of validating them; pickling the record
objects themselves would cost as much as validating), its rejected outcomes, and at the end
its seconds per stage. An error of the file (MalformedFile) is raised here as it would have
been in this process. The worker's stop request is checked here between chunks; if the job
ends early the child is stopped.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import os
from collections.abc import Iterator
from datetime import date
from typing import Any

from .records import Context, InHousehold, InMember, Outcome, prepare
from .stages import Stages

APART_MIN_RECORDS = 20_000

Prepared = tuple[list[InHousehold], list[Outcome], int]


def available() -> bool:
    """`fork` exists, and this process may have children (a daemonic one may not)."""
    return hasattr(os, "fork") and not multiprocessing.current_process().daemon


def _pack(h: InHousehold) -> tuple:
    return (
        h.index,
        h.external_id,
        h.commune,
        h.address,
        h.snapshot,
        [
            (
                m.pos,
                m.external_id,
                m.full_name,
                m.name_folded,
                m.date_of_birth.toordinal(),
                m.sex,
                m.ethnicity,
                m.relationship,
                m.citizen_id,
                m.snapshot,
            )
            for m in h.members
        ],
    )


def _unpack(packed: tuple) -> InHousehold:
    index, external_id, commune, address, snapshot, members = packed
    return InHousehold(
        index,
        external_id,
        commune,
        address,
        [
            InMember(pos, ext, name, folded, date.fromordinal(born), sex, eth, rel, cid, snap)
            for pos, ext, name, folded, born, sex, eth, rel, cid, snap in members
        ],
        snapshot,
    )


def _read_and_validate(
    items: Iterator[tuple[int, Any]], ctx: Context, size: int, receiver, sender
) -> None:
    """The child: chunk after chunk, parsed and validated, sent packed; then its seconds."""
    receiver.close()  # so that a send fails (BrokenPipeError) once the job closed its end
    gc.disable()  # what it keeps is freed by reference counting once sent (runner)
    stages = Stages()
    try:
        while True:
            with stages("parse"):
                batch = list(itertools.islice(items, size))
            if not batch:
                break
            with stages("validate"):
                accepted, rejected = prepare(batch, ctx)
                packed = [_pack(h) for h in accepted]
            sender.send(("chunk", packed, rejected, batch[-1][0] + 1))
            del batch, accepted, rejected, packed
        sender.send(("done", stages.seconds))
    except (BrokenPipeError, EOFError):
        pass  # the job stopped early: nobody reads any more
    except BaseException as exc:
        try:
            sender.send(("error", exc))
        except Exception:
            sender.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
    finally:
        sender.close()


def prepared_apart(
    items: Iterator[tuple[int, Any]], ctx: Context, size: int, check_stop
) -> Iterator[Prepared]:
    """(accepted, rejected, next index) per chunk, as runner's in-process reading gives them.
    Waiting for the child and rebuilding its records is the stage "wait"; the child's parse
    and validate seconds are added at the end (they ran beside the other stages)."""
    fork = multiprocessing.get_context("fork")
    receiver, sender = fork.Pipe(duplex=False)
    child = fork.Process(
        target=_read_and_validate,
        args=(items, ctx, size, receiver, sender),
        name="registry-sync-validate",
    )
    child.start()
    sender.close()
    try:
        while True:
            check_stop()
            with ctx.stages("wait"):
                try:
                    message = receiver.recv()
                except EOFError:
                    raise RuntimeError("The process validating the file stopped.") from None
                if message[0] == "chunk":
                    _, packed, rejected, next_index = message
                    accepted = [_unpack(h) for h in packed]
            if message[0] == "chunk":
                yield accepted, rejected, next_index
            elif message[0] == "done":
                for stage, seconds in message[1].items():
                    ctx.stages.add(stage, seconds)
                return
            else:
                raise message[1]
    finally:
        receiver.close()
        child.join(timeout=10)
        if child.is_alive():
            child.terminate()
            child.join()
