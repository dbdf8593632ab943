"""The three-way merge of a registry-owned value (current, last sent, now sent) and the
registry snapshots that keep what the registry sent last."""

from __future__ import annotations

import functools
import json
from typing import Any

_json_text = json.JSONEncoder(ensure_ascii=False).encode
NO_SNAPSHOT = object()  # "last sent" when the registry never sent this row


@functools.lru_cache(maxsize=64)
def _jsonb_key_order(keys: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(keys, key=lambda k: (len(k.encode()), k.encode())))


def snapshot_text(values: dict[str, Any]) -> str:
    """A snapshot as JSON text, keys in the order PostgreSQL prints a jsonb (shorter keys
    first, then bytewise) and with its separators, so that the stored value read back as text
    usually compares equal as a string (a mismatch only costs decoding it)."""
    return _json_text({k: values[k] for k in _jsonb_key_order(tuple(values))})


def parse_snapshot(text: Any) -> dict[str, Any] | None:
    if text is None or isinstance(text, dict):
        return text
    return json.loads(text)


def same_snapshot(a: Any, b: Any) -> bool:
    return a == b or parse_snapshot(a) == parse_snapshot(b)


def merge_value(current: Any, last: Any, incoming: Any) -> tuple[Any, bool]:
    """Three-way merge of a registry-owned value: (final value, conflict?)."""
    if incoming == current:
        return current, False
    if last is not NO_SNAPSHOT:
        if incoming == last:
            return current, False  # the registry did not change it: the local edit stands
        if current == last:
            return incoming, False  # not edited locally: the registry's change applies
    return incoming, True  # both changed (or no baseline): the registry wins, reported


def last_sent(snapshot: dict[str, Any] | None, name: str) -> Any:
    return NO_SNAPSHOT if snapshot is None else snapshot.get(name)


def conflict_entry(path: str, local: Any, registry: Any, last: Any) -> dict[str, Any]:
    return {
        "field": path,
        "local": local,
        "registry": registry,
        "previous_registry": None if last is NO_SNAPSHOT else last,
    }
