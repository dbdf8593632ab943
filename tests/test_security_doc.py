"""docs/security.md states the role table an auditor checks: it must be the code's."""

from pathlib import Path

from accounts.roles import ROLE_PERMISSIONS, Role
from core.access import Perm

DOC = Path(__file__).resolve().parents[1] / "docs" / "security.md"
COLUMNS = {
    "province officer": Role.PROVINCE_OFFICER,
    "commune chairperson": Role.COMMUNE_LEADER,
    "commune officer": Role.COMMUNE_OFFICER,
    "field enumerator": Role.FIELD_ENUMERATOR,
    "registry system": Role.REGISTRY_SYSTEM,
    "auditor": Role.AUDITOR,
    "analyst": Role.ANALYST,
}


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def test_the_documented_role_table_is_the_codes():
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- roles:begin -->")[1].split("<!-- roles:end -->")[0].strip()
    header, _, *rows = table.splitlines()
    roles = [COLUMNS[name] for name in _cells(header)[1:]]
    assert set(roles) == set(Role), "every role has a column"
    documented = {Perm(_cells(row)[0]): _cells(row)[1:] for row in rows}
    assert set(documented) == set(Perm), "every permission has a row"
    for perm, marks in documented.items():
        for role, mark in zip(roles, marks, strict=True):
            assert (mark == "✓") == (perm in ROLE_PERMISSIONS[role]), (perm, role)
