"""A synthetic Quảng Ninh register (province 22) for demos and load tests.

Villages are created per commune (idempotently); households and members are generated in
Python in streaming batches and bulk-loaded: PostgreSQL COPY, SQLite executemany. The bulk
load bypasses the model layer, so it writes no django-simple-history records; it fills the
derived columns (`Household.search_text`, `Member.name_folded`) exactly as the services do.

Every figure below is a synthetic assumption chosen to look like Quảng Ninh (about 12% ethnic
minority, concentrated in the highland communes; about 3.7 people per household), not data.
The same seed on the same database state and day gives the same register.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from random import Random
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from core.bulk import analyze, write_rows
from core.text import fold
from geo.choices import UnitKind, VillageKind
from geo.models import Commune, EthnicGroup, Village
from households.choices import HouseholdStatus, MemberStatus, Relationship, Sex, Source
from households.models import DuplicateCandidate, Household, Member
from households.search import merge_pending_index_entries
from households.services import detect_all_duplicates
from households.twins import search_text_of_rows

PROVINCE = "22"
DEMO_HOUSEHOLDS = 2000
DEFAULT_VILLAGES_PER_COMMUNE = 12
BATCH_HOUSEHOLDS = 5000

# ------------------------------------------------------------------------ synthetic parameters

# Relative household density by kind of unit: the wards are the populous ones.
UNIT_WEIGHT = {UnitKind.WARD: 1.6, UnitKind.COMMUNE: 1.0, UnitKind.SPECIAL_ZONE: 0.8}
HIGHLAND_WEIGHT = 0.6
# Share of households of an ethnic minority (Quảng Ninh overall: about 12%).
MINORITY_SHARE = {UnitKind.WARD: 0.03, UnitKind.COMMUNE: 0.25, UnitKind.SPECIAL_ZONE: 0.05}
HIGHLAND_MINORITY_SHARE = 0.70
# Mountain communes where Dao and Tày villages (bản) are the majority.
HIGHLAND_COMMUNES = {"Bình Liêu", "Hoành Mô", "Lục Hồn", "Ba Chẽ", "Kỳ Thượng", "Lương Minh"}
HIGHLAND_HAMLETS = (
    "Khe Lặc", "Nà Làng", "Pắc Pộc", "Khe Tiền", "Nà Pò", "Cao Sơn", "Khe Mằn", "Lục Ngù",
    "Phiêng Sáp", "Nà Ếch", "Khe Vằn", "Bắc Cương", "Sông Moóc", "Tình Húc", "Khe Và",
    "Nà Áng", "Đồng Dọong", "Pò Hèn", "Khe Lương", "Nà Choòng",
)  # fmt: skip

KINH = "Kinh"
MINORITY_GROUPS = {"Dao": 35, "Tày": 30, "Sán Dìu": 15, "Sán Chay": 12, "Hoa": 8}
FAMILY_NAMES = {
    KINH: {
        "Nguyễn": 38, "Trần": 11, "Lê": 9, "Phạm": 7, "Hoàng": 5, "Vũ": 5, "Phan": 3,
        "Đặng": 2, "Bùi": 2, "Đỗ": 2, "Ngô": 1.5, "Hồ": 1, "Dương": 1, "Đinh": 1.2,
        "Đào": 1, "Mai": 1, "Trịnh": 1, "Lý": 0.5, "Lương": 0.6, "Cao": 0.5, "Tạ": 0.4,
        "Lưu": 0.4,
    },
    "Dao": {"Triệu": 30, "Bàn": 25, "Đặng": 20, "Lý": 15, "Chìu": 5, "Tằng": 5},
    "Tày": {"Hoàng": 25, "Nông": 20, "Lục": 15, "Vi": 10, "Hà": 10, "Lý": 10, "Hứa": 10},
    "Sán Dìu": {"Lê": 25, "Diệp": 20, "Trương": 15, "Vương": 15, "La": 15, "Lý": 10},
    "Sán Chay": {"La": 25, "Lý": 20, "Ninh": 20, "Dương": 15, "Hoàng": 20},
    "Hoa": {"Lý": 25, "Trương": 20, "Lưu": 20, "Mạc": 15, "Tạ": 10, "Hà": 10},
}  # fmt: skip
MIDDLE_NAMES = {
    Sex.MALE: {
        "Văn": 45, "Đức": 10, "Minh": 10, "Quang": 7, "Hữu": 6, "Công": 5, "Xuân": 5,
        "Ngọc": 4, "Thành": 4, "Tiến": 4,
    },
    Sex.FEMALE: {
        "Thị": 55, "Thu": 8, "Ngọc": 7, "Thanh": 7, "Minh": 5, "Hồng": 5, "Phương": 4,
        "Bích": 3, "Khánh": 3, "Diệu": 3,
    },
}  # fmt: skip
GIVEN_NAMES = {
    Sex.MALE: (
        "An", "Bình", "Cường", "Dũng", "Đạt", "Đức", "Hải", "Hùng", "Huy", "Khánh", "Khoa",
        "Kiên", "Lâm", "Long", "Mạnh", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân",
        "Quang", "Sơn", "Tài", "Thắng", "Thành", "Toàn", "Trung", "Tuấn", "Tùng", "Việt",
        "Vinh", "Hoàng", "Hiếu", "Hưng", "Bảo", "Đông", "Thịnh", "Tiến", "Trọng", "Chiến",
        "Lực", "Hiệp", "Dương", "Khôi", "Phát", "Nhật", "Gia Huy", "Đăng Khoa", "Thuận",
    ),
    Sex.FEMALE: (
        "Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hoà", "Hương",
        "Huyền", "Lan", "Liên", "Linh", "Loan", "Mai", "My", "Nga", "Ngân", "Ngọc", "Nhung",
        "Oanh", "Phương", "Quỳnh", "Thảo", "Thơm", "Thuỷ", "Trang", "Tuyết", "Uyên", "Vân",
        "Yến", "Hồng", "Lụa", "Xuân", "Thu", "Diệp", "Nhàn", "Huệ", "Cúc", "Bảo Anh",
        "Khánh Linh", "Minh Châu", "Hải Yến", "Thuý", "Ánh", "Duyên", "Gấm", "Lệ",
    ),
}  # fmt: skip
HOUSEHOLD_SIZE = {1: 9, 2: 15, 3: 20, 4: 28, 5: 15, 6: 8, 7: 5}  # mean ≈ 3.7
# Province of birth registration (first 3 digits of the citizen ID): mostly Quảng Ninh.
BIRTH_PROVINCE = {
    "022": 88, "001": 2, "031": 2, "030": 2, "034": 1.5, "036": 1.5, "024": 1, "020": 1,
    "079": 1,
}  # fmt: skip
MOBILE_PREFIXES = (
    "090", "091", "094", "096", "097", "098", "086", "088", "032", "033", "034", "035", "036",
    "037", "038", "039", "077", "081", "083", "084",
)  # fmt: skip
REGISTRY_SYNC_SHARE = 0.6
PHONE_SHARE = 0.65
CITIZEN_ID_SHARE_ADULT = 0.95  # aged 14 and over
CITIZEN_ID_SHARE_CHILD = 0.25

HOUSEHOLD_COLUMNS = (
    "id", "code", "external_id", "commune_id", "village_id", "address", "phone", "latitude",
    "longitude", "source", "status", "status_reason", "status_date", "merged_into_id",
    "version", "search_text", "created_at", "updated_at",
)  # fmt: skip
MEMBER_COLUMNS = (
    "id", "household_id", "full_name", "name_folded", "date_of_birth", "sex", "ethnicity_id",
    "relationship", "citizen_id", "status", "status_date", "version", "created_at",
    "updated_at",
)  # fmt: skip


class Weighted:
    """Draws keys of a {value: weight} mapping in proportion to their weights."""

    def __init__(self, weights: dict[Any, float]):
        self.values = list(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))

    def __call__(self, rng: Random) -> Any:
        point = rng.random() * self.cumulative[-1]
        return self.values[bisect.bisect_right(self.cumulative, point)]


@dataclass(frozen=True)
class Person:
    relationship: str
    sex: str
    age: int
    family_name: str


@dataclass(frozen=True, eq=False)  # hashed by identity, to count draws per commune
class CommuneProfile:
    commune: Commune
    weight: float
    minority_share: float
    villages: Sequence[tuple[str, str]]  # (id as stored, name)


@dataclass(frozen=True)
class LoadResult:
    households: int
    members: int
    villages_created: int
    duplicates: int
    seconds: float


# ------------------------------------------------------------------------ villages


def village_names(commune: Commune, count: int) -> list[tuple[str, str]]:
    """(name, kind) of the commune's villages: khu phố/tổ dân phố in wards, thôn elsewhere,
    and named bản in the highland communes. Depends only on the commune, so reruns match."""
    if commune.is_urban:
        kind = VillageKind.KHU_PHO if int(commune.code) % 2 else VillageKind.TO_DAN_PHO
        return [(f"{kind.label} {i}", kind) for i in range(1, count + 1)]
    thon = [(f"{VillageKind.THON.label} {i}", VillageKind.THON) for i in range(1, count + 1)]
    if not _is_highland(commune):
        return thon
    offset = int(commune.code) % len(HIGHLAND_HAMLETS)
    hamlets = (HIGHLAND_HAMLETS * 2)[offset : offset + min(count // 2, len(HIGHLAND_HAMLETS))]
    bans = [(f"{VillageKind.BAN.label} {h}", VillageKind.BAN) for h in hamlets]
    return bans + thon[: count - len(bans)]


def ensure_villages(
    communes: Sequence[Commune], per_commune: int
) -> tuple[dict[str, list[tuple[str, str]]], int]:
    """Create the communes' demo villages that do not exist yet (unique per commune and name).

    Returns ({commune code: [(village id as stored, name)]}, number created)."""
    existing = {
        (commune_id, name): pk
        for pk, commune_id, name in Village.objects.filter(commune__in=communes).values_list(
            "pk", "commune_id", "name"
        )
    }
    planned = {c.code: village_names(c, per_commune) for c in communes}
    new = [
        Village(commune=c, name=name, kind=kind)
        for c in communes
        for name, kind in planned[c.code]
        if (c.code, name) not in existing
    ]
    Village.objects.bulk_create(new)
    existing.update({(v.commune_id, v.name): v.pk for v in new})
    villages = {
        code: [(existing[code, name].hex, name) for name, _ in names]
        for code, names in planned.items()
    }
    return villages, len(new)


def _is_highland(commune: Commune) -> bool:
    name = commune.name.removeprefix("Xã ")
    return commune.kind == UnitKind.COMMUNE and name in HIGHLAND_COMMUNES


def commune_profiles(
    communes: Sequence[Commune], villages: dict[str, list[tuple[str, str]]]
) -> list[CommuneProfile]:
    profiles = []
    for c in communes:
        highland = _is_highland(c)
        profiles.append(
            CommuneProfile(
                commune=c,
                weight=HIGHLAND_WEIGHT if highland else UNIT_WEIGHT[c.kind],
                minority_share=HIGHLAND_MINORITY_SHARE if highland else MINORITY_SHARE[c.kind],
                villages=villages[c.code],
            )
        )
    return profiles


# ------------------------------------------------------------------------ people


class CitizenIds:
    """Issues valid citizen IDs that are unique across the whole member table.

    IDs sharing the first 6 digits (birth province, century/sex, year) get increasing final
    digits with random gaps, starting above the highest such ID already stored: no collision
    with existing rows, and no need to hold existing IDs in memory."""

    MAX_GAP = 9

    def __init__(self, rng: Random):
        self.rng = rng
        self.next_tail: dict[str, int] = {}
        prefix = "substr(citizen_id, 1, 6)"
        table = Member._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {prefix}, max(citizen_id) FROM {table} "
                f"WHERE citizen_id IS NOT NULL GROUP BY {prefix}"
            )
            for head, highest in cursor.fetchall():
                if highest[6:].isdigit():
                    self.next_tail[head] = int(highest[6:]) + 1

    def issue(self, birth_province: str, sex: str, birth_year: int) -> str:
        century_sex = (birth_year // 100 - 19) * 2 + (0 if sex == Sex.MALE else 1)
        head = f"{birth_province}{century_sex}{birth_year % 100:02d}"
        tail = self.next_tail.get(head)
        if tail is None:
            tail = self.rng.randint(0, 299_999)  # a random-looking start for a new prefix
        if tail > 999_999:
            raise ValueError(f"No citizen IDs left with prefix {head}.")
        self.next_tail[head] = tail + self.rng.randint(1, self.MAX_GAP)
        return f"{head}{tail:06d}"


def family(rng: Random, size: int, family_name: Callable[[], str]) -> list[Person]:
    """The people of one household: a head, usually a spouse, then children, parents or a
    married child with grandchildren. Children take their father's family name."""
    head_sex = Sex.MALE if rng.random() < 0.78 else Sex.FEMALE
    head_age = int(rng.triangular(22, 88, 45))
    head = Person(Relationship.HEAD, head_sex, head_age, family_name())
    people = [head]

    def add(relationship: str, sex: str, age: int, name: str | None = None) -> Person:
        person = Person(relationship, sex, max(0, min(age, 100)), name or family_name())
        if len(people) < size:
            people.append(person)
        return person

    father = head
    if size > 1 and rng.random() < 0.85:
        gap = rng.randint(-2, 6)
        spouse = add(Relationship.SPOUSE, _other(head_sex), max(18, head_age - gap * _sign(head)))
        father = head if head_sex == Sex.MALE else spouse
    if head_age >= 58 and size - len(people) >= 2:
        child_sex = _sex(rng)
        child_age = rng.randint(max(20, head_age - 40), head_age - 20)
        child = add(Relationship.CHILD, child_sex, child_age, father.family_name)
        in_law = add(Relationship.CHILD_IN_LAW, _other(child_sex), child_age + rng.randint(-4, 4))
        grand_father = child if child_sex == Sex.MALE else in_law
        while len(people) < size:
            age = rng.randint(0, max(0, child_age - 20))
            add(Relationship.GRANDCHILD, _sex(rng), age, grand_father.family_name)
        return people
    if head_age <= 45 and size - len(people) >= 3 and rng.random() < 0.35:
        parent_sex = _sex(rng)
        name = head.family_name if parent_sex == Sex.MALE else None
        add(Relationship.PARENT, parent_sex, head_age + rng.randint(22, 34), name)
    while len(people) < size:
        age = rng.randint(max(0, head_age - 42), max(0, head_age - 19))
        add(Relationship.CHILD, _sex(rng), age, father.family_name)
    return people


def _sex(rng: Random) -> str:
    return Sex.MALE if rng.random() < 0.5 else Sex.FEMALE


def _other(sex: str) -> str:
    return Sex.FEMALE if sex == Sex.MALE else Sex.MALE


def _sign(head: Person) -> int:
    """Wives are usually a few years younger than their husbands."""
    return 1 if head.sex == Sex.MALE else -1


# ------------------------------------------------------------------------ the generator


class RegisterGenerator:
    """Generates household and member rows (as stored) commune by commune."""

    def __init__(self, rng: Random, ethnic_codes: dict[str, str], today: date):
        self.rng = rng
        self.today = today
        self.citizen_ids = CitizenIds(rng)
        self.kinh = ethnic_codes[KINH]
        self.minority = Weighted({ethnic_codes[g]: w for g, w in MINORITY_GROUPS.items()})
        self.family_names = {ethnic_codes[g]: Weighted(n) for g, n in FAMILY_NAMES.items()}
        self.middle_names = {sex: Weighted(names) for sex, names in MIDDLE_NAMES.items()}
        self.size = Weighted(HOUSEHOLD_SIZE)
        self.birth_province = Weighted(BIRTH_PROVINCE)
        self.now = connection.ops.adapt_datetimefield_value(timezone.now())
        self.fold_name = functools.lru_cache(maxsize=100_000)(fold)
        self.id_ms = (today - date(1970, 1, 1)).days * 86_400_000  # ids' clock: today, 00:00

    def households(self, profile: CommuneProfile, first: int, count: int) -> Iterator[tuple]:
        """(household row, member rows) for households numbered first .. first+count-1."""
        rng = self.rng
        for number in range(first, first + count):
            code = f"{profile.commune.code}-{number:06d}"
            registry = rng.random() < REGISTRY_SYNC_SHARE
            village_id, village_name = rng.choice(profile.villages)
            address = f"Số {rng.randint(1, 250)}, {village_name}"
            phone = self._phone() if rng.random() < PHONE_SHARE else ""
            external_id = f"HK-{profile.commune.code}-{number:06d}" if registry else None
            minority = rng.random() < profile.minority_share
            ethnicity = self.minority(rng) if minority else self.kinh
            household_id = self._uuid()
            members = [
                self._member(household_id, person, ethnicity)
                for person in family(
                    rng, self.size(rng), lambda e=ethnicity: self.family_names[e](rng)
                )
            ]
            members.sort()  # by id
            search_text = search_text_of_rows({"address": address})
            household = (
                household_id, code, external_id, profile.commune.code, village_id, address,
                phone, None, None, Source.REGISTRY_SYNC if registry else Source.ADMIN,
                HouseholdStatus.ACTIVE, "", None, None, 1, search_text,
                self.now, self.now,
            )  # fmt: skip
            yield household, members

    def _member(self, household_id: str, person: Person, ethnicity: str) -> tuple:
        rng = self.rng
        middle = self.middle_names[person.sex](rng)
        given = rng.choice(GIVEN_NAMES[person.sex])
        while given == middle:  # no "Nguyễn Minh Minh"
            given = rng.choice(GIVEN_NAMES[person.sex])
        full_name = f"{person.family_name} {middle} {given}"
        born = date.fromordinal(
            self.today.toordinal() - int(person.age * 365.25) - rng.randint(1, 365)
        )
        share = CITIZEN_ID_SHARE_ADULT if person.age >= 14 else CITIZEN_ID_SHARE_CHILD
        citizen_id = (
            self.citizen_ids.issue(self.birth_province(rng), person.sex, born.year)
            if rng.random() < share
            else None
        )
        return (
            self._uuid(), household_id, full_name, self.fold_name(full_name), born.isoformat(),
            person.sex, ethnicity, person.relationship, citizen_id, MemberStatus.PRESENT, None,
            1, self.now, self.now,
        )  # fmt: skip

    def _uuid(self) -> str:
        """A UUIDv7, time-ordered like the register's own ids (core.ids), but drawn from the
        seeded generator: its clock counts a millisecond an id from the start of `today`, so
        the same seed gives the same ids."""
        self.id_ms += 1
        rng = self.rng
        value = (
            self.id_ms << 80 | 0x7 << 76 | rng.getrandbits(12) << 64 | 0b10 << 62
        ) | rng.getrandbits(62)
        return f"{value:032x}"

    def _phone(self) -> str:
        return f"{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randint(0, 9_999_999):07d}"


def load(rows: Iterator[tuple], progress: Callable[[str], None]) -> tuple[int, int]:
    """Write (household row, member rows) items in batches; returns the counts written."""

    def next_batch() -> tuple[list[tuple], list[tuple]]:
        batch = list(itertools.islice(rows, BATCH_HOUSEHOLDS))
        return [h for h, _ in batch], [m for _, ms in batch for m in ms]

    households = members = 0
    # A worker thread generates the next batch while the database loads this one.
    with ThreadPoolExecutor(max_workers=1) as worker:
        pending = worker.submit(next_batch)
        while (batch := pending.result())[0]:
            pending = worker.submit(next_batch)
            write_rows(Household, HOUSEHOLD_COLUMNS, batch[0])
            write_rows(Member, MEMBER_COLUMNS, batch[1])
            households, members = households + len(batch[0]), members + len(batch[1])
            progress(f"{households:,} households, {members:,} members")
    return households, members


def _postgresql(*statements: str) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def generate(
    households: int = DEMO_HOUSEHOLDS,
    *,
    seed: int = 1,
    villages_per_commune: int = DEFAULT_VILLAGES_PER_COMMUNE,
    progress: Callable[[str], None] | None = None,
) -> LoadResult:
    """Add `households` synthetic households (with members) to the communes of province 22,
    in one transaction, then record possible duplicates."""
    started = time.perf_counter()
    progress = progress or (lambda message: None)
    ethnic_codes = dict(
        EthnicGroup.objects.filter(name__in=[KINH, *MINORITY_GROUPS]).values_list("name", "code")
    )
    missing = {KINH, *MINORITY_GROUPS} - ethnic_codes.keys()
    if missing:
        raise ValueError(f"Ethnic groups missing from the reference data: {sorted(missing)}")
    with transaction.atomic():
        # Fewer, larger merges of the trigram indexes' pending lists: about 20% faster.
        _postgresql("SET LOCAL gin_pending_list_limit = '64MB'", "SET LOCAL work_mem = '128MB'")
        communes = list(Commune.objects.select_for_update().filter(province_id=PROVINCE))
        if not communes:
            raise ValueError(f"No communes of province {PROVINCE}: load the reference data.")
        # Seeded with the register's size too, so a second run adds different people.
        rng = Random(f"{seed}:{Household.objects.count()}")
        villages, villages_created = ensure_villages(communes, villages_per_commune)
        profiles = commune_profiles(communes, villages)
        per_commune = Counter(rng.choices(profiles, [p.weight for p in profiles], k=households))
        generator = RegisterGenerator(rng, ethnic_codes, timezone.localdate())
        rows = itertools.chain.from_iterable(
            generator.households(p, p.commune.household_seq + 1, per_commune[p]) for p in profiles
        )
        _, members = load(rows, progress)
        for p in profiles:
            if per_commune[p]:
                p.commune.household_seq += per_commune[p]
                p.commune.save(update_fields=["household_seq"])
        progress("Analysing, then looking for possible duplicates ...")
        analyze(Household, Member)  # plans for the duplicate scan
        duplicates = detect_all_duplicates()
        progress(f"{duplicates:,} possible duplicates; committing ...")
    analyze(Village, Household, Member, DuplicateCandidate)
    merge_pending_index_entries()  # searchable at once, not after autovacuum
    return LoadResult(
        households=households,
        members=members,
        villages_created=villages_created,
        duplicates=duplicates,
        seconds=time.perf_counter() - started,
    )
