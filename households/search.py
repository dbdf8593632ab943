"""Search of the register (`?q=` on the household and member lists, the admin's search box).

What a query matches (every comparison on folded text, `core.text.fold`: lower case, no tone
or vowel marks, đ → d; a query's words are its runs of letters and digits):

- **A person's name**: every word of the query starts a word of ONE member's folded name
  (`Member.name_folded`). "hoa" finds "Đặng Thị Hoà" but not "Khoa"; "dang hoa" finds
  "Đặng Thị Hoà"; the words of two members of one household do not combine.
- **The address**: every word starts a word of the household's folded address
  (`Household.search_text`).
- **The household code**: a one-word query that the code starts with (`22001-0000`).
- **A citizen ID or a phone number**: a query of 9 or 12 digits equal to a member's whole
  citizen ID, or of 8 to 15 digits equal to the household's whole phone number. Never a part.

A query is at most MAX_QUERY_CHARS characters and MAX_QUERY_WORDS words (`check_query`: 400
naming `q`; the admin's search box says so and finds nothing).

Rank (best first), then household code, then (members) member id:

0. a member's folded full name equals the query, or the citizen ID or phone number does;
1. a member's folded name starts with the query;
2. the query's words start words of one member's name;
3. the address or the household code matches.

A household ranks as its best member. Callers without personal-data rights search by
household code only (households; members: nothing), in code order: `households.filtersets`.

On PostgreSQL a name or address word is matched with `' ' || column LIKE '% word%'`, which the
trigram GIN indexes on those expressions (migration 0003) serve, all the words in one index
scan; a name that starts with the query by the members' (name, birth date) b-tree in the
pattern operator class (migration 0005); codes, citizen IDs and phone numbers by their b-tree
indexes.

**Reading a page tier by tier.** `RankedSearch` holds, for each rank, the one condition that
puts a row in it; a row's tier is its best rank (the rank's condition, and none of a better
rank's), so each row is in exactly one tier. Two readings share these conditions:

- `queryset()`: every match (the union of what each kind of match finds, from the indexes),
  ranked by a CASE over the conditions and ordered by the key `search_key` (the rank's digit,
  then the household code [then the member id]). The admin's search box and other callers
  that want every match use it.
- `page()`: what the API lists read (core.api.pagination pages the queryset of
  `household_queryset_search` / `member_queryset_search` through it). Rank 0's tier, then
  1, 2 and 3, each in its own order (code; members: household code, then id) from the
  cursor's position, one query each with a LIMIT of what the page still needs; it stops
  when the page is full. A page thus reads about as many rows as it shows: for a common
  family name ("nguyen": 220,000 of 400,000 households) PostgreSQL walks the households in
  code order and probes each one's members, stopping after a page, where ranking every match
  took over a second; a rare tier is found through the indexes and sorted. The cursor
  position is the key's text, as in the one-query reading; `previous` pages read the tiers
  backwards. A page that reaches a later tier costs one query more per tier (a result
  smaller than a page: four), and a tier with no rows costs a query to find it empty.
  A citizen ID or phone number (a few matches) is still read in one query.
"""

from __future__ import annotations

import functools
import logging
import operator
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Cast, Concat
from django.db.models.lookups import Contains
from django.utils.translation import gettext

from core.api.pagination import RANKED_KEY, by_tiers
from core.errors import InvalidInput
from core.text import fold

from .identity import PHONE_PATTERN
from .models import Household, Member

logger = logging.getLogger(__name__)

_WORD = re.compile(r"[0-9a-z]+")
_ID_LENGTHS = (9, 12)  # old ID card (CMND), citizen ID (CCCD)

# The ordering key of ranked results: core.api.pagination pages by it when present.
SEARCH_KEY = RANKED_KEY


# The trigram indexes of migration 0003, which serve the words' LIKEs (PostgreSQL).
TRIGRAM_INDEXES = ("household_address_words_trgm", "member_name_words_trgm")


def merge_pending_index_entries() -> None:
    """Moves what bulk writes left in the trigram indexes' pending lists into the indexes
    (PostgreSQL's GIN fast update; a registry sync writes with a 64 MB list).

    Until that merge every word search reads the pending entries one by one: a citizen-ID
    search took 131 ms after repeated syncs, 0.9 ms after it (bench/README.md). Autovacuum
    does it in time, when it reaches the tables. Needs the indexes' owner (as VACUUM does):
    a database role that does not own them skips it, and autovacuum still merges them."""
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for name in TRIGRAM_INDEXES:
                cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [name])
    except DatabaseError as exc:  # the role does not own them (or another refusal)
        logger.warning("Trigram pending lists left to autovacuum: %s", exc)


def search_words(text: str | None) -> list[str]:
    """The folded words of `text`: its runs of ASCII letters and digits after folding."""
    return _WORD.findall(fold(text))


def address_search_text(address: str | None) -> str:
    """What `Household.search_text` holds: the folded words of the address."""
    return " ".join(search_words(address))


# The longest query searched: each word is a LIKE in several of the search's conditions (and
# its query), so thousands of words made a query of 750,000 characters that took seconds to
# plan and run. A name, or a whole address (house, group, area, ward, city and province: 18
# words or so), is found from fewer.
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 20


def query_problem(text: str) -> str | None:
    """Why the search `text` is refused (None: it is searched)."""
    if len(text) > MAX_QUERY_CHARS:
        return gettext("At most %(max)s characters (%(count)s given).") % {
            "max": MAX_QUERY_CHARS,
            "count": len(text),
        }
    if len(words := search_words(text)) > MAX_QUERY_WORDS:
        return gettext("At most %(max)s words (%(count)s given).") % {
            "max": MAX_QUERY_WORDS,
            "count": len(words),
        }
    return None


def check_query(text: str) -> None:
    """InvalidInput (400 naming `q`) for a search beyond the limits above."""
    if problem := query_problem(text):
        raise InvalidInput(problem, fields={"q": problem}, code="query_too_long")


@dataclass(frozen=True)
class Query:
    words: list[str]
    phrase: str  # the words joined with a space: what a whole folded name is compared with
    token: str  # the query stripped, when it is one word (codes, IDs, phone numbers)

    @classmethod
    def parse(cls, text: str) -> Query:
        """The query's parts; InvalidInput (400 naming `q`) beyond the limits above."""
        check_query(text)
        words = search_words(text)
        stripped = text.strip()
        return cls(words, " ".join(words), stripped if len(stripped.split()) == 1 else "")

    @property
    def citizen_id(self) -> str | None:
        t = self.token
        return t if t.isascii() and t.isdigit() and len(t) in _ID_LENGTHS else None

    @property
    def phone(self) -> str | None:
        return self.token if PHONE_PATTERN.match(self.token) else None


class Spaced(Func):
    """`' ' || column`: in a folded, single-spaced text, a word starts wherever `' word'`
    occurs. The trigram indexes of migration 0003 index this very expression."""

    template = "(' ' || %(expressions)s)"
    output_field = TextField()


def words_q(field: str, words: list[str]) -> Q:
    """Every word starts a word of `field` (a folded, single-spaced text column): one LIKE
    per word on one expression, which a single trigram index scan answers."""
    q = Q()
    for word in words:
        q &= Q(Contains(Spaced(field), f" {word}"))
    return q


class AmongIds(Func):
    """`column = ANY(ARRAY(ids))` on PostgreSQL, `column IN (ids)` elsewhere.

    With `IN (subquery)` PostgreSQL joins the matches to the table and, when it expects a few
    thousand of them, reads the whole table (a hash join over a Seq Scan: 0.1 s for 400,000
    households, 0.25 s for their 1.5 M members). The ids collected into an array first are
    looked up in the primary-key (or household) index, one probe each."""

    output_field = BooleanField()

    def __init__(self, column: str, ids: QuerySet) -> None:
        super().__init__(F(column), Subquery(ids))

    def as_sql(self, compiler, connection, **extra_context):
        (column, column_params), (ids, ids_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        if connection.vendor == "postgresql":
            return f"{column} = ANY(ARRAY{ids})", (*column_params, *ids_params)
        return f"{column} IN {ids}", (*column_params, *ids_params)


def _union(branches: list[QuerySet]) -> QuerySet:
    first, *rest = branches
    return first.union(*rest) if rest else first


def _among(column: str, branches: list[QuerySet]) -> Q | None:
    return Q(AmongIds(column, _union(branches))) if branches else None


def _key(rank, *parts) -> Concat:
    """The ordering key of a ranked row: its rank's digit, then `parts` (fixed-width text:
    household codes, ids), so that ordering by the key orders by rank, then by the parts."""
    return Concat(Cast(rank, CharField()), *parts, output_field=CharField())


def _after(fields: tuple[str, ...], values: tuple, reverse: bool) -> Q:
    """Rows whose `fields`, compared as a tuple, come after `values` (reverse: before them).
    The first field is also bounded on its own, which its index serves."""
    op = "lt" if reverse else "gt"
    (field, value), *rest = zip(fields, values, strict=True)
    if not rest:
        return Q(**{f"{field}__{op}": value})
    more = _after(tuple(f for f, _ in rest), tuple(v for _, v in rest), reverse)
    within = Q(**{f"{field}__{op}": value}) | Q(**{field: value}) & more
    return Q(**{f"{field}__{op}e": value}) & within


def _member_id(text: str) -> tuple[str, uuid.UUID]:
    """Splits `<household code><member id>` (the id as the database casts it to text: with
    hyphens on PostgreSQL, 32 hex digits on SQLite)."""
    width = 36 if len(text) > 36 and text[-13] == "-" else 32
    code, member = text[:-width], uuid.UUID(text[-width:])
    if not code:
        raise ValueError("no household code")
    return code, member


@dataclass(frozen=True)
class RankedSearch:
    """A search's matches, rank by rank: `ranks[r]` is what puts a row in rank r (its best
    match; None: this query cannot reach rank r). Rank r's tier is its rows that are in no
    better rank, so each row is in exactly one tier.

    `queryset()` reads every match in one query, ranked; `page()` reads a page tier by tier in
    rank order, each tier in its own order (`order`: the key's parts after the rank), and
    stops when the page is full (core.api.pagination.Tiers)."""

    base: QuerySet  # the rows searched: scoped and filtered, before the search
    matches: Q  # any match (index-served: the union of what each kind of match finds)
    ranks: tuple[Q | None, ...]
    order: tuple[str, ...]  # ("code",) or ("household__code", "id")
    parse: Callable[[str], tuple]  # a position's text after the rank -> the `order` values
    # A citizen ID or phone number matches a few rows: one query reads them all faster than
    # one per tier (the API pages it by its key as any ranked queryset).
    few: bool = False

    def _key(self, rank) -> Concat:
        parts = (Cast(f, CharField()) if f == "id" else F(f) for f in self.order)
        return _key(rank, *parts)

    def queryset(self) -> QuerySet:
        """Every match, annotated with its `search_key` (rank, then `order`) and ordered by it."""
        *better, last = range(len(self.ranks))  # a match of no better rank is of the last
        whens = [When(self.ranks[r], then=Value(r)) for r in better if self.ranks[r] is not None]
        rank = Case(*whens, default=Value(last), output_field=IntegerField())
        return (
            self.base.filter(self.matches)
            .alias(search_rank=rank)
            .annotate(**{SEARCH_KEY: self._key(F("search_rank"))})
            .order_by(SEARCH_KEY)
        )

    def tier(self, rank: int) -> QuerySet:
        """The rows whose best match is of `rank`, annotated with their `search_key`."""
        q = self.ranks[rank]
        for better in self.ranks[:rank]:
            if better is not None:
                q &= ~better
        return (
            self.base.prefetch_related(None)
            .filter(q)
            .annotate(**{SEARCH_KEY: self._key(Value(rank))})
        )

    def page(self, after: str | None, reverse: bool, limit: int) -> list:
        """Up to `limit` rows after the key `after` (reverse: before it), in key order
        (reverse: descending): one query per tier read, in rank order, until `limit` rows."""
        start, values = None, ()
        if after is not None:
            if after[:1] not in ("0", "1", "2", "3"):
                raise ValueError(f"not a search position: {after!r}")
            start, values = int(after[0]), self.parse(after[1:])
        rows: list = []
        ranks = [r for r, q in enumerate(self.ranks) if q is not None]
        for rank in reversed(ranks) if reverse else ranks:
            if len(rows) == limit:
                break
            if start is not None and (rank > start if reverse else rank < start):
                continue  # the whole tier is on the other side of the position
            tier = self.tier(rank)
            if rank == start:
                tier = tier.filter(_after(self.order, values, reverse))
            ordering = [f"-{field}" for field in self.order] if reverse else self.order
            rows += tier.order_by(*ordering)[: limit - len(rows)]
        prefetch_related_objects(rows, *self.base._prefetch_related_lookups)
        return rows


def _name_matches(query: Query) -> tuple[Q, Q, Q]:
    """On a member: the folded name is the query; starts with it; has its words.

    The first is the name's equality alone (which has the words), read from the members'
    name b-tree: with the words' LIKEs beside it, PostgreSQL also scanned the trigram index
    for words as common as "nguyen" and "thi" (0.6 s at 4,000,000 households)."""
    words = words_q("name_folded", query.words)
    return (
        Q(name_folded=query.phrase),
        words & Q(name_folded__startswith=query.phrase),
        words,
    )


def _either(*conditions: Q | None) -> Q | None:
    """The conditions that apply, OR-ed (None: none applies)."""
    present = [c for c in conditions if c is not None]
    return functools.reduce(operator.or_, present) if present else None


def _household_ids(query: Query) -> tuple[list[QuerySet], QuerySet | None]:
    """Id queries of the households matching by address or code, and by phone."""
    households = Household.objects.order_by()
    ids = []
    if query.words:
        ids.append(households.filter(words_q("search_text", query.words)).values("id"))
    if query.token:
        ids.append(households.filter(code__startswith=query.token).values("id"))
    by_phone = households.filter(phone=query.phone).values("id") if query.phone else None
    return ids, by_phone


def _address_or_code(query: Query, household: str = "") -> Q | None:
    """Rank 3's condition: the household's address has the words, or its code starts with
    the query (`household`: the path to the household)."""
    q = Q()
    if query.words:
        q |= words_q(f"{household}search_text", query.words)
    if query.token:
        q |= Q(**{f"{household}code__startswith": query.token})
    return q or None


def _words(query: Query, ids: QuerySet, row: Q) -> Q:
    """Rank 2's condition (the row among `ids`, those having the query's words in one name),
    in the form PostgreSQL reads best. Two or more words: their matches collected through the
    trigram index into an array (no more than the whole-set search read), as the planner,
    taking the words as independent, would often walk the code order instead and probe tens
    of thousands of households for a thousand matches. One word: `row`, the same condition on
    the row, which lets the planner walk the code order and stop after a page when the word is
    common ("hoa": in the name of one person in ten)."""
    return Q(AmongIds("pk", ids)) if len(query.words) > 1 else row


def household_search(qs: QuerySet, text: str) -> RankedSearch | None:
    """Households of `qs` matching `text` (see the module); None when nothing can."""
    query = Query.parse(text)
    members = Member.objects.order_by()
    found, by_phone = _household_ids(query)  # id queries, one per kind of match
    exact = [by_phone] if by_phone is not None else []
    if query.citizen_id:
        exact.append(members.filter(citizen_id=query.citizen_id).values("household_id"))
    found += exact
    exact_name = prefix = words = None
    if query.words:
        name_exact, name_prefix, name_words = _name_matches(query)
        found.append(members.filter(name_words).values("household_id"))
        # A whole name is rank 0 as a member of the household (not as an id among those of
        # every such member): PostgreSQL then walks the households in code order and stops
        # after a page when the name is common ("nguyen thi thuy": 55,000 people at
        # 4,000,000 households; collecting them first took 1.3 s), and reads a rare name's
        # few people from the name index.
        exact_name = Q(Exists(members.filter(name_exact, household=OuterRef("pk"))))
        prefix = Q(Exists(members.filter(name_prefix, household=OuterRef("pk"))))
        has_words = members.filter(name_words)
        words = _words(
            query,
            has_words.values("household_id"),
            Q(Exists(has_words.filter(household=OuterRef("pk")))),
        )
    if not found:
        return None
    return RankedSearch(
        base=qs,
        matches=_among("pk", found),
        ranks=(_either(_among("pk", exact), exact_name), prefix, words, _address_or_code(query)),
        order=("code",),
        parse=lambda text: (text,),
        few=bool(query.citizen_id or query.phone),
    )


def member_search(qs: QuerySet, text: str) -> RankedSearch | None:
    """Members of `qs` matching `text`: by their own name or citizen ID, or as members of a
    household whose address, code or phone number matches; None when nothing can."""
    query = Query.parse(text)
    members = Member.objects.order_by()
    households, by_phone = _household_ids(query)
    found, exact = [], []
    if by_phone is not None:
        households.append(by_phone)
        exact.append(members.filter(AmongIds("household_id", by_phone)).values("id"))
    if households:
        found.append(members.filter(AmongIds("household_id", _union(households))).values("id"))
    if query.citizen_id:
        by_id = members.filter(citizen_id=query.citizen_id).values("id")
        found.append(by_id)
        exact.append(by_id)
    name_exact = prefix = words = None
    if query.words:
        # a whole name: rank 0 as the row's own condition (see household_search)
        name_exact, prefix, name_words = _name_matches(query)
        found.append(members.filter(name_words).values("id"))
        words = _words(query, members.filter(name_words).values("id"), name_words)
    if not found:
        return None
    return RankedSearch(
        base=qs,
        matches=_among("pk", found),
        ranks=(
            _either(_among("pk", exact), name_exact),
            prefix,
            words,
            _address_or_code(query, "household__"),
        ),
        order=("household__code", "id"),
        parse=_member_id,
        few=bool(query.citizen_id or query.phone),
    )


def _ranked(qs: QuerySet, search: RankedSearch | None) -> QuerySet:
    if search is None:
        return qs.none()
    ranked = search.queryset()
    return ranked if search.few else by_tiers(ranked, search)


def household_queryset_search(qs: QuerySet, text: str) -> QuerySet:
    """Households matching `text` (see the module), annotated with their ordering key
    `search_key` (rank, code) and ordered by it; a paginator given this very queryset reads
    its page tier by tier (core.api.pagination.by_tiers)."""
    return _ranked(qs, household_search(qs, text))


def member_queryset_search(qs: QuerySet, text: str) -> QuerySet:
    """Members matching `text` (see `member_search`), annotated with their ordering key
    `search_key` (rank, household code, member id) and ordered by it; paged tier by tier as
    `household_queryset_search`."""
    return _ranked(qs, member_search(qs, text))
