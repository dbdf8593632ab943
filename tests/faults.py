"""Database faults raised by PostgreSQL itself, for the tests of what answers them."""

from collections.abc import Callable

from django.db import connection


def deadlock_on_first_insert(table: str) -> Callable[[], None]:
    """Make PostgreSQL raise its own deadlock error (40P01) on inserts into `table`, within
    the test's transaction, until the returned function is called."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE deadlocked_once (done boolean);
            CREATE FUNCTION pg_temp.deadlock_once() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NOT EXISTS (SELECT 1 FROM deadlocked_once) THEN
                    RAISE EXCEPTION 'deadlock detected' USING ERRCODE = 'deadlock_detected';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER deadlock_once BEFORE INSERT ON {table}
                FOR EACH ROW EXECUTE FUNCTION pg_temp.deadlock_once();
            """
        )

    def stop() -> None:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO deadlocked_once VALUES (true)")

    return stop
