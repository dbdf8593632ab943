import random
from datetime import date

import pytest

from core.text import fold
from households.identity import citizen_id_errors


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Đặng Thị Hoà", "dang thi hoa"),
        ("  NGUYỄN   Văn  Đức ", "nguyen van duc"),
        ("Phường Hạ Long", "phuong ha long"),
        ("Ưng Hoàng Phúc", "ung hoang phuc"),
        ("", ""),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded


def test_ascii_text_folds_as_any_text():
    """fold's ASCII shortcut gives what the general path gives (the first Vietnamese letter
    sends a text down the general path, so appending one and taking it off compares them)."""
    rng = random.Random(7)
    alphabet = [chr(c) for c in range(128)]
    texts = ["".join(rng.choices(alphabet, k=rng.randint(0, 30))) for _ in range(2000)]
    for text in [*texts, " 022-184 001234 ", "HK-06652-000123", "\t\x1c a \x0b b\n"]:
        assert fold(text) == fold(text + " ồ")[:-2].rstrip(), repr(text)


@pytest.mark.parametrize(
    ("citizen_id", "sex", "dob", "valid"),
    [
        ("022185000123", "female", date(1985, 1, 1), True),  # 1900s female = 1
        ("022085000123", "male", date(1985, 1, 1), True),  # 1900s male = 0
        ("022200000001", "male", date(2000, 6, 1), True),  # 2000s male = 2, year 00
        ("022399000001", "female", date(2099, 6, 1), True),  # 2000s female, year 99
        ("022499000001", "male", date(2199, 6, 1), True),  # 2100s male = 4
        ("022099000001", "male", date(1999, 12, 31), True),  # last year of the century
        ("022000000001", "male", date(1900, 1, 1), True),  # first year of the century
        ("022085000123", "female", date(1985, 1, 1), False),  # sex contradicts digit 4
        ("022185000123", "female", date(1986, 1, 1), False),  # year contradicts digits 5-6
        ("022285000123", "male", date(1985, 1, 1), False),  # century 2000s vs born 1985
        ("02218500012", "female", date(1985, 1, 1), False),  # 11 digits
        ("0221850001234", "female", date(1985, 1, 1), False),  # 13 digits
        ("02218500012a", "female", date(1985, 1, 1), False),  # a letter
        ("000185000123", "female", date(1985, 1, 1), False),  # no place 000
    ],
)
def test_citizen_id_rules(citizen_id, sex, dob, valid):
    assert (citizen_id_errors(citizen_id, sex=sex, date_of_birth=dob) == []) is valid


def test_citizen_id_error_says_what_is_wrong():
    errors = citizen_id_errors("022085000123", sex="female", date_of_birth=date(1986, 1, 1))
    assert any("sex male" in e for e in errors)
    assert any("birth year 1985" in e for e in errors)
