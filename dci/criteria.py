"""What a DCI search query selects (`search_criteria` of the standard's SearchRequest, and a
subscription's filter): the query, checked, as a filter on households or members.

Query types:
- `idtype-value`: `{"type": <ID_TYPES>, "value": "<id>"}`;
- `predicate`: a list of `{seq_num, expression1, condition, expression2}`, each expression
  `{attribute_name, operator, attribute_value}` over the published allow-list ATTRIBUTES;
  items are joined by "and", in seq_num order; `condition` joins an item's two
  expressions (`not`: the first and not the second);
- `expression`: refused with rjct.search_criteria.invalid until the registry defines one.

`response_entity` (as in the standard's example request) chooses the records: `Group` (the
households, the default) or `Member` (the people).

Searching or sorting by a personal field (core.personal, the one definition: birth dates,
IDs, …) needs `view_personal`, as reading it does: which records match, and their order,
would tell it (an age turns over on the person's birthday).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, IntegerField, Model, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from core.access import Access, Perm
from core.personal import personal_fields
from households.choices import MemberStatus, Sex
from households.models import Household, Member
from poverty.choices import Classification
from poverty.models import OfficialStatus, PovertyStandard
from poverty.selectors import national_standard_in_force

from .codes import SearchReason
from .envelope import MAX_ID_LENGTH

GROUP, MEMBER = "Group", "Member"
QUERY_TYPES = ("idtype-value", "predicate", "expression")
COMPARE = {"eq": "exact", "gt": "gt", "lt": "lt", "ge": "gte", "le": "lte", "in": "in"}


class Rejected(Exception):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


def invalid_criteria(message: str) -> Rejected:
    return Rejected(SearchReason.SEARCH_CRITERIA_INVALID, message)


FieldRef = tuple[type[Model], str]  # a field a query or a sort reads: (model, field name)


def personal(field: FieldRef) -> bool:
    """Whether the field is personal data (core.personal): matching or ordering by it needs
    `view_personal`."""
    return field[1] in personal_fields(field[0])


# ---------------------------------------------------------------------------- identifiers

# type → the member's or household's field
ID_TYPES: dict[str, FieldRef] = {
    "CITIZEN_ID": (Member, "citizen_id"),
    "PERSON_REGISTRY_ID": (Member, "external_id"),
    "HOUSEHOLD_CODE": (Household, "code"),
    "HOUSEHOLD_REGISTRY_ID": (Household, "external_id"),
}


def idtype_q(query: Any, entity: str, access: Access) -> Q:
    if not isinstance(query, dict) or not isinstance(query.get("type"), str):
        raise invalid_criteria(gettext("An idtype-value query needs a type and a value."))
    kind, value = query["type"], query.get("value")
    if kind not in ID_TYPES:
        raise invalid_criteria(
            gettext("Unknown identifier type; use one of %(types)s.")
            % {"types": ", ".join(ID_TYPES)}
        )
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise invalid_criteria(gettext("An idtype-value query needs a value."))
    owner, name = ID_TYPES[kind]
    if personal(ID_TYPES[kind]) and not access.can(Perm.VIEW_PERSONAL):
        raise invalid_criteria(gettext("Your role may not search by personal identifiers."))
    value = str(value).strip()[:MAX_ID_LENGTH]
    if entity == GROUP:
        if owner is Household:
            return Q(**{name: value})
        return Q(pk__in=Member.objects.filter(**{name: value}).values("household_id"))
    return Q(**{name if owner is Member else f"household__{name}": value})


# ---------------------------------------------------------------------------- predicates


@dataclass
class Attribute:
    reads: FieldRef  # what decides a match (personal or not: core.personal)
    operators: tuple[str, ...]
    parse: Callable[[Any], Any]
    group: Callable[[str, Any], Q] | None = None  # the filter on households
    member: Callable[[str, Any], Q] | None = None  # the filter on members
    on_member: bool = False  # a fact of a member: a household matches if one present does


def _text(pattern: Callable[[str], bool]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise ValueError
        text = str(value).strip()
        if not pattern(text):
            raise ValueError
        return text

    return parse


def _whole(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    number = int(value) if isinstance(value, int | str) else None
    if number is None or not 0 <= number <= 200:
        raise ValueError
    return number


def _age_q(op: str, age: int, today: date, path: str = "") -> Q:
    """Age on `today` compared with `age`, as birth dates (born on or before the date a
    person turns `age`)."""

    def turned(years: int) -> date:  # the latest birth date of someone aged `years` today
        try:
            return today.replace(year=today.year - years)
        except ValueError:  # 29 February
            return today.replace(year=today.year - years, day=28)

    dob = f"{path}date_of_birth"
    ge = lambda n: Q(**{f"{dob}__lte": turned(n)})  # noqa: E731
    lt = lambda n: Q(**{f"{dob}__gt": turned(n)})  # noqa: E731
    return {
        "eq": ge(age) & lt(age + 1),
        "ge": ge(age),
        "gt": ge(age + 1),
        "lt": lt(age),
        "le": lt(age + 1),
    }[op]


def _compare(path: str) -> Callable[[str, Any], Q]:
    return lambda op, value: Q(**{f"{path}__{COMPARE[op]}": value})


_province = _text(lambda t: len(t) == 2 and t.isascii() and t.isdigit())
_commune = _text(lambda t: len(t) == 5 and t.isascii() and t.isdigit())
_ethnicity = _text(lambda t: len(t) == 2 and t.isascii() and t.isdigit())
_sex = _text(lambda t: t in Sex.values)
_classification = _text(lambda t: t in Classification.values)

ATTRIBUTES: dict[str, Attribute] = {
    "province_code": Attribute(
        (Household, "commune"),
        ("eq", "in"),
        _province,
        _compare("commune__province_id"),
        _compare("household__commune__province_id"),
    ),
    "commune_code": Attribute(
        (Household, "commune"),
        ("eq", "in"),
        _commune,
        _compare("commune_id"),
        _compare("household__commune_id"),
    ),
    "poverty_status": Attribute(  # under poverty_standard
        (OfficialStatus, "classification"), ("eq", "in"), _classification
    ),
    "poverty_standard": Attribute(
        (OfficialStatus, "standard"), ("eq",), _text(lambda t: 0 < len(t) <= 40)
    ),
    "household_size": Attribute((Member, "status"), ("eq", "gt", "lt", "ge", "le"), _whole),
    "age": Attribute(
        (Member, "date_of_birth"), ("eq", "gt", "lt", "ge", "le"), _whole, on_member=True
    ),
    "sex": Attribute((Member, "sex"), ("eq", "in"), _sex, member=_compare("sex"), on_member=True),
    "ethnicity": Attribute(
        (Member, "ethnicity"),
        ("eq", "in"),
        _ethnicity,
        member=_compare("ethnicity_id"),
        on_member=True,
    ),
}


@dataclass
class Predicate:
    entity: str
    today: date
    access: Access
    standard: PovertyStandard | None = None
    uses_size: bool = False
    expressions: list[dict[str, Any]] = field(default_factory=list)

    def q(self, expression: Any) -> Q:
        if not isinstance(expression, dict):
            raise invalid_criteria(
                gettext("An expression needs attribute_name, operator and value.")
            )
        name, op = expression.get("attribute_name"), expression.get("operator")
        if not isinstance(name, str) or name not in ATTRIBUTES:
            raise invalid_criteria(
                gettext("Attribute not searchable; use one of %(names)s.")
                % {"names": ", ".join(ATTRIBUTES)}
            )
        attribute = ATTRIBUTES[name]
        if personal(attribute.reads) and not self.access.can(Perm.VIEW_PERSONAL):
            raise invalid_criteria(
                gettext("Your role may not search by %(name)s: it reads personal data.")
                % {"name": name}
            )
        if op not in attribute.operators:
            raise invalid_criteria(
                gettext("%(name)s takes the operators %(ops)s.")
                % {"name": name, "ops": ", ".join(attribute.operators)}
            )
        raw = expression.get("attribute_value")
        try:
            if op == "in":
                if not isinstance(raw, list) or not 0 < len(raw) <= 100:
                    raise ValueError
                value: Any = [attribute.parse(v) for v in raw]
            else:
                value = attribute.parse(raw)
        except (TypeError, ValueError):
            raise invalid_criteria(
                gettext("Not a valid value for %(name)s.") % {"name": name}
            ) from None
        return self._filter(name, op, value)

    def _filter(self, name: str, op: str, value: Any) -> Q:
        attribute = ATTRIBUTES[name]
        if name == "poverty_standard":
            return Q()  # names the standard of poverty_status (resolved before)
        if name == "poverty_status":
            values = value if op == "in" else [value]
            statuses = OfficialStatus.objects.filter(
                valid_to__isnull=True, standard=self.standard, classification__in=values
            ).values("household_id")
            return Q(pk__in=statuses) if self.entity == GROUP else Q(household_id__in=statuses)
        if name == "household_size":
            self.uses_size = True
            path = "dci_size" if self.entity == GROUP else "household__dci_size"
            if self.entity == MEMBER:
                sizes = with_size(Household.objects.all()).filter(
                    **{f"dci_size__{COMPARE[op]}": value}
                )
                return Q(household_id__in=sizes.values("pk"))
            return Q(**{f"{path}__{COMPARE[op]}": value})
        if attribute.on_member:
            if name == "age":
                member_q = _age_q(op, value, self.today)
            else:
                member_q = attribute.member(op, value)
            if self.entity == MEMBER:
                return member_q
            present = Member.objects.filter(member_q, status=MemberStatus.PRESENT)
            return Q(pk__in=present.values("household_id"))
        build = attribute.group if self.entity == GROUP else attribute.member
        return build(op, value)


def with_size(households: QuerySet[Household]) -> QuerySet[Household]:
    present = (
        Member.objects.filter(household=OuterRef("pk"), status=MemberStatus.PRESENT)
        .order_by()
        .values("household")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return households.annotate(dci_size=Coalesce(Subquery(present, output_field=IntegerField()), 0))


def _standard(items: list[Any]) -> PovertyStandard | None:
    """The standard named by `poverty_standard eq <code>`, else the national one in force."""
    codes = {
        str(e.get("attribute_value"))
        for item in items
        if isinstance(item, dict)
        for e in (item.get("expression1"), item.get("expression2"))
        if isinstance(e, dict) and e.get("attribute_name") == "poverty_standard"
    }
    if len(codes) > 1:
        raise invalid_criteria(gettext("Name one poverty_standard."))
    if not codes:
        return national_standard_in_force(timezone.localdate())
    standard = PovertyStandard.objects.filter(code=codes.pop()).order_by("-revision").first()
    if standard is None:
        raise invalid_criteria(gettext("Unknown poverty standard."))
    return standard


def predicate_q(query: Any, predicate: Predicate) -> Q:
    if not isinstance(query, list) or not 0 < len(query) <= 20:
        raise invalid_criteria(gettext("A predicate query is a list of 1 to 20 expressions."))
    predicate.standard = _standard(query)
    combined = Q()
    ordered = sorted(
        query,
        key=lambda i: (
            i.get("seq_num", 0)
            if isinstance(i, dict) and isinstance(i.get("seq_num"), int | float)
            else 0
        ),
    )
    for item in ordered:
        if not isinstance(item, dict):
            raise invalid_criteria(gettext("Each predicate item is an object."))
        q = predicate.q(item.get("expression1"))
        if item.get("expression2") is not None:
            second = predicate.q(item["expression2"])
            condition = item.get("condition", "and")
            if condition not in ("and", "or", "not"):
                raise invalid_criteria(gettext("condition is and, or or not."))
            q = {"and": q & second, "or": q | second, "not": q & ~second}[condition]
        combined &= q
    return combined
