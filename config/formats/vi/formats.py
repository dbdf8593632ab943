"""How dates, times and numbers are shown and read in Vietnamese (FORMAT_MODULE_PATH).

Dates are dd/mm/yyyy everywhere people see them (the admin, templates, exports for people);
forms read dd/mm/yyyy first and ISO 8601 too. The API's JSON is not affected: DRF writes and
reads ISO 8601 dates for integrators.
"""

DATE_FORMAT = "d/m/Y"  # 29/11/2026
SHORT_DATE_FORMAT = "d/m/Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "d/m/Y H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
YEAR_MONTH_FORMAT = r"\T\h\á\n\g n/Y"  # Tháng 11/2026
MONTH_DAY_FORMAT = "d/m"
FIRST_DAY_OF_WEEK = 1  # Monday

# The first one is also how a date field shows its value in a form (the admin's widgets).
DATE_INPUT_FORMATS = [
    "%d/%m/%Y",  # 29/11/2026
    "%Y-%m-%d",  # 2026-11-29
    "%d-%m-%Y",  # 29-11-2026
]
DATETIME_INPUT_FORMATS = [
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S.%f",
    "%d/%m/%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
]
TIME_INPUT_FORMATS = ["%H:%M:%S", "%H:%M:%S.%f", "%H:%M"]

DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
