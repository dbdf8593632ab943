"""The maintained household counts (reports.models.HouseholdCount): the PostgreSQL triggers
that keep them, their compaction and rebuild, and the check against the register."""

from __future__ import annotations

from django.db import connection, transaction

KEY = "commune_id, village_id, status, status_date"
COUNTS = "reports_householdcount"
HOUSEHOLDS = "households_household"

# One function for the three statement-level triggers: each statement appends, per key it
# changed, the net change of its households (transition tables: COPY, INSERT … SELECT,
# UPDATE … FROM, ON CONFLICT and single-row writes alike). An UPDATE that moved no household
# between keys (an address, a phone, the search text) appends nothing.
INSTALL = f"""
CREATE FUNCTION reports_household_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {COUNTS} ({KEY}, n)
        SELECT {KEY}, count(*) FROM new_rows GROUP BY {KEY};
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO {COUNTS} ({KEY}, n)
        SELECT {KEY}, -count(*) FROM old_rows GROUP BY {KEY};
    ELSE
        INSERT INTO {COUNTS} ({KEY}, n)
        SELECT {KEY}, sum(n) FROM (
            SELECT {KEY}, -1 AS n FROM old_rows
            UNION ALL SELECT {KEY}, 1 AS n FROM new_rows
        ) changed GROUP BY {KEY} HAVING sum(n) <> 0;
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION reports_household_count_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM {COUNTS};
    RETURN NULL;
END $$;
CREATE TRIGGER reports_household_count_insert AFTER INSERT ON {HOUSEHOLDS}
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_household_count();
CREATE TRIGGER reports_household_count_update AFTER UPDATE ON {HOUSEHOLDS}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_household_count();
CREATE TRIGGER reports_household_count_delete AFTER DELETE ON {HOUSEHOLDS}
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_household_count();
CREATE TRIGGER reports_household_count_truncate AFTER TRUNCATE ON {HOUSEHOLDS}
    FOR EACH STATEMENT EXECUTE FUNCTION reports_household_count_truncate();
"""
UNINSTALL = f"""
DROP TRIGGER IF EXISTS reports_household_count_insert ON {HOUSEHOLDS};
DROP TRIGGER IF EXISTS reports_household_count_update ON {HOUSEHOLDS};
DROP TRIGGER IF EXISTS reports_household_count_delete ON {HOUSEHOLDS};
DROP TRIGGER IF EXISTS reports_household_count_truncate ON {HOUSEHOLDS};
DROP FUNCTION IF EXISTS reports_household_count();
DROP FUNCTION IF EXISTS reports_household_count_truncate();
"""


def maintained() -> bool:
    """Whether the counts are kept (PostgreSQL; elsewhere the reports count the register)."""
    return connection.vendor == "postgresql"


def rebuild() -> int:
    """The counts recomputed from the register, one row per key; household writes wait
    meanwhile (a SHARE lock: reads go on). Returns the number of keys."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {HOUSEHOLDS} IN SHARE MODE")
        cursor.execute(f"DELETE FROM {COUNTS}")
        cursor.execute(
            f"INSERT INTO {COUNTS} ({KEY}, n) SELECT {KEY}, count(*) FROM {HOUSEHOLDS} "
            f"GROUP BY {KEY}"
        )
        return cursor.rowcount


def compact() -> tuple[int, int]:
    """The rows of each key summed into one (keys at 0 dropped), without stopping writers:
    rows appended meanwhile by other transactions are not in this statement's snapshot and
    stay as they are. Returns (rows before, rows after)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""WITH gone AS (DELETE FROM {COUNTS} RETURNING {KEY}, n),
                kept AS (
                    INSERT INTO {COUNTS} ({KEY}, n)
                    SELECT {KEY}, sum(n) FROM gone GROUP BY {KEY} HAVING sum(n) <> 0
                    RETURNING 1
                )
            SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM kept)"""
        )
        before, after = cursor.fetchone()
        return before, after


def differences() -> list[tuple]:
    """The keys whose maintained count differs from the register's: (key..., kept, actual).
    Empty when the counts are exact."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT {KEY}, sum(kept), sum(actual) FROM (
                    SELECT {KEY}, n AS kept, 0 AS actual FROM {COUNTS}
                    UNION ALL SELECT {KEY}, 0, 1 FROM {HOUSEHOLDS}
                ) rows GROUP BY {KEY} HAVING sum(kept) <> sum(actual)"""
        )
        return cursor.fetchall()
