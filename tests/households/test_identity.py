import pytest

from households.identity import fold


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Đặng Thị Hoà", "dang thi hoa"),
        ("  NGUYỄN   Văn  Đức ", "nguyen van duc"),
        ("Phường Hạ Long", "phuong ha long"),
        ("", ""),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded
