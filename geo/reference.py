"""Reference data: provinces and commune-level units from the `vietnam-provinces` package
(post-July-2025: 34 provinces, 3,321 units), and the 54 ethnic groups."""

from __future__ import annotations

import csv
from pathlib import Path

from vietnam_provinces import Province as VnProvince
from vietnam_provinces import VietNamDivisionType, Ward

ETHNIC_GROUPS_CSV = Path(__file__).parent / "fixtures" / "ethnic_groups.csv"

KIND_BY_DIVISION = {
    VietNamDivisionType.PHUONG: "phuong",
    VietNamDivisionType.XA: "xa",
    VietNamDivisionType.DAC_KHU: "dac_khu",
}


def load_reference_data(province_model, commune_model, ethnic_model) -> tuple[int, int, int]:
    """Insert missing units and ethnic groups; existing rows (and their edited urban/rural
    attribute) are left as they are. Returns (provinces, communes, ethnic groups) added."""
    known_p = set(province_model.objects.values_list("code", flat=True))
    provinces = [
        province_model(code=f"{p.code.value:02d}", name=p.name, codename=p.codename)
        for p in VnProvince.iter_all()
        if f"{p.code.value:02d}" not in known_p
    ]
    province_model.objects.bulk_create(provinces)
    known_c = set(commune_model.objects.values_list("code", flat=True))
    communes = []
    for w in Ward.iter_all():
        code = f"{w.code.value:05d}"
        if code in known_c:
            continue
        kind = KIND_BY_DIVISION[w.division_type]
        communes.append(
            commune_model(
                code=code,
                province_id=f"{w.province_code.value:02d}",
                name=w.name,
                codename=w.codename,
                kind=kind,
                # phường → urban, xã → rural, đặc khu → rural until the province decides.
                is_urban=kind == "phuong",
            )
        )
    commune_model.objects.bulk_create(communes, batch_size=1000)
    known_e = set(ethnic_model.objects.values_list("code", flat=True))
    with ETHNIC_GROUPS_CSV.open(encoding="utf-8") as f:
        groups = [
            ethnic_model(code=row["code"], name=row["name"])
            for row in csv.DictReader(f)
            if row["code"] not in known_e
        ]
    ethnic_model.objects.bulk_create(groups)
    return len(provinces), len(communes), len(groups)
