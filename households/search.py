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

Rank (best first), then household code, then (members) member id:

0. a member's folded full name equals the query, or the citizen ID or phone number does;
1. a member's folded name starts with the query;
2. the query's words start words of one member's name;
3. the address or the household code matches.

A household ranks as its best member. Callers without personal-data rights search by
household code only (households; members: nothing), in code order: `households.filtersets`.

On PostgreSQL a name or address word is matched with `' ' || column LIKE '% word%'`, which the
trigram GIN indexes on those expressions (migration 0003) serve, all the words in one index
scan; codes, citizen IDs and phone numbers by their b-tree indexes. The rank is computed for
the matching rows only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.db.models.lookups import Contains

from core.api.pagination import RANKED_KEY
from core.text import fold

from .identity import PHONE_PATTERN
from .models import Household, Member

_WORD = re.compile(r"[0-9a-z]+")
_ID_LENGTHS = (9, 12)  # old ID card (CMND), citizen ID (CCCD)

# The ordering key of ranked results: core.api.pagination pages by it when present.
SEARCH_KEY = RANKED_KEY
EXACT, PREFIX, WORDS, OTHER = 0, 1, 2, 3


def search_words(text: str | None) -> list[str]:
    """The folded words of `text`: its runs of ASCII letters and digits after folding."""
    return _WORD.findall(fold(text))


def address_search_text(address: str | None) -> str:
    """What `Household.search_text` holds: the folded words of the address."""
    return " ".join(search_words(address))


@dataclass(frozen=True)
class Query:
    words: list[str]
    phrase: str  # the words joined with a space: what a whole folded name is compared with
    token: str  # the query stripped, when it is one word (codes, IDs, phone numbers)

    @classmethod
    def parse(cls, text: str) -> Query:
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


def _name_rank(query: Query) -> Case:
    return Case(
        When(name_folded=query.phrase, then=Value(EXACT)),
        When(name_folded__startswith=query.phrase, then=Value(PREFIX)),
        default=Value(WORDS),
        output_field=IntegerField(),
    )


def _households_matching(query: Query) -> list[QuerySet]:
    """Id queries, one per kind of household-level match (address, code, phone)."""
    plain = Household.objects.order_by()
    branches = []
    if query.words:
        branches.append(plain.filter(words_q("search_text", query.words)).values("id"))
    if query.token:
        branches.append(plain.filter(code__startswith=query.token).values("id"))
    if query.phone:
        branches.append(plain.filter(phone=query.phone).values("id"))
    return branches


def _union(branches: list[QuerySet]) -> QuerySet:
    first, *rest = branches
    return first.union(*rest) if rest else first


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


def _key(rank, *parts) -> Concat:
    """The ordering key of a ranked row: its rank's digit, then `parts` (fixed-width text:
    household codes, ids), so that ordering by the key orders by rank, then by the parts."""
    return Concat(Cast(rank, CharField()), *parts, output_field=CharField())


def household_queryset_search(qs: QuerySet, text: str) -> QuerySet:
    """Households matching `text` (see the module), annotated with their rank and their
    ordering key `search_key` (rank, code) and ordered by it."""
    query = Query.parse(text)
    branches = _households_matching(query)
    members = Member.objects.order_by()
    if query.words:
        branches.append(members.filter(words_q("name_folded", query.words)).values("household_id"))
    if query.citizen_id:
        branches.append(members.filter(citizen_id=query.citizen_id).values("household_id"))
    if not branches:
        return qs.none()
    rank = Value(OTHER)
    if query.words:
        best_member = (
            members.filter(words_q("name_folded", query.words), household=OuterRef("pk"))
            .annotate(rank=_name_rank(query))
            .order_by("rank")
            .values("rank")[:1]
        )
        rank = Coalesce(Subquery(best_member, output_field=IntegerField()), rank)
    exact = []
    if query.phone:
        exact.append(When(phone=query.phone, then=Value(EXACT)))
    if query.citizen_id:
        ids = members.filter(household=OuterRef("pk"), citizen_id=query.citizen_id)
        exact.append(When(Exists(ids), then=Value(EXACT)))
    if exact:
        rank = Case(*exact, default=rank, output_field=IntegerField())
    return (
        qs.filter(AmongIds("pk", _union(branches)))
        .alias(search_rank=rank)
        .annotate(**{SEARCH_KEY: _key(F("search_rank"), F("code"))})
        .order_by(SEARCH_KEY)
    )


def member_queryset_search(qs: QuerySet, text: str) -> QuerySet:
    """Members matching `text`: by their own name or citizen ID, or as members of a household
    whose address, code or phone number matches; annotated with their rank and ordering key
    `search_key` (rank, household code, member id) and ordered by it."""
    query = Query.parse(text)
    members = Member.objects.order_by()
    branches = []
    if query.words:
        branches.append(members.filter(words_q("name_folded", query.words)).values("id"))
    if query.citizen_id:
        branches.append(members.filter(citizen_id=query.citizen_id).values("id"))
    households = _households_matching(query)
    if households:
        branches.append(members.filter(AmongIds("household_id", _union(households))).values("id"))
    if not branches:
        return qs.none()
    whens = []
    if query.phone:
        whens.append(When(household__phone=query.phone, then=Value(EXACT)))
    if query.citizen_id:
        whens.append(When(citizen_id=query.citizen_id, then=Value(EXACT)))
    if query.words:
        whens += [
            When(name_folded=query.phrase, then=Value(EXACT)),
            When(name_folded__startswith=query.phrase, then=Value(PREFIX)),
            When(words_q("name_folded", query.words), then=Value(WORDS)),
        ]
    rank = Case(*whens, default=Value(OTHER), output_field=IntegerField())
    return (
        qs.filter(AmongIds("pk", _union(branches)))
        .alias(search_rank=rank)
        .annotate(
            **{
                SEARCH_KEY: _key(
                    F("search_rank"),
                    F("household__code"),
                    Cast("id", CharField()),
                )
            }
        )
        .order_by(SEARCH_KEY)
    )
