"""Primary keys for new rows: UUIDv7 (RFC 9562).

A v7 UUID starts with the time it was made, so new rows land at the right-hand edge of every
primary-key and foreign-key index instead of at a random page. At a province's scale (a
registry sync inserts 400,000 households and 1.5 million people) that keeps the index pages
being written in memory; random v4 keys made COPY into the register's tables about 30% slower
(bench/README.md). The ids stay opaque and unguessable enough to publish: 74 random bits.
"""

import uuid

from uuid_utils.compat import uuid7


def new_id() -> uuid.UUID:
    return uuid7()
