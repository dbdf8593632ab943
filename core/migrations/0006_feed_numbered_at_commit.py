"""Change-feed events numbered at the writer's commit, on PostgreSQL (core.feed).

An event recorded by a model's history (an API, admin or field-app write) is inserted
without a number. A deferred constraint trigger numbers the transaction's events when it
commits, so the writer takes the feed's counter last and holds it only for its commit. Before,
it held the counter from its first event: a writer that then waited for a row a registry
sync chunk held, while the chunk waited for the counter, was a deadlock (bench/README.md).
The sync numbers its own events (core.feed.reserve), last in each chunk; the trigger skips
rows that come numbered. SQLite serialises writers: events are numbered when recorded.
"""

from django.db import migrations, models

NUMBER_AT_COMMIT = """
CREATE FUNCTION core_number_change_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    unnumbered bigint;
    first_seq bigint;
BEGIN
    -- The first firing at the commit numbers all of this transaction's events (others'
    -- uncommitted events are not visible; committed ones are numbered); the rest find none.
    SELECT count(*) INTO unnumbered FROM core_changeevent WHERE seq IS NULL;
    IF unnumbered > 0 THEN
        UPDATE core_feedcounter SET value = value + unnumbered WHERE id = 1
            RETURNING value - unnumbered INTO first_seq;
        UPDATE core_changeevent AS e SET seq = first_seq + o.n
            FROM (SELECT id, row_number() OVER (ORDER BY id) AS n
                  FROM core_changeevent WHERE seq IS NULL) AS o
            WHERE e.id = o.id;
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER core_changeevent_numbered
    AFTER INSERT ON core_changeevent DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.seq IS NULL) EXECUTE FUNCTION core_number_change_events();
"""

DROP = """
DROP TRIGGER core_changeevent_numbered ON core_changeevent;
DROP FUNCTION core_number_change_events();
"""


def number_at_commit(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NUMBER_AT_COMMIT)


def number_when_recorded(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("core", "0005_alter_personaldataread_channel")]

    operations = [
        migrations.AlterField(
            model_name="changeevent",
            name="seq",
            field=models.BigIntegerField(null=True, unique=True, verbose_name="seq"),
        ),
        migrations.AddIndex(
            model_name="changeevent",
            index=models.Index(
                condition=models.Q(("seq__isnull", True)),
                fields=["id"],
                name="core_event_unnumbered",
            ),
        ),
        migrations.RunPython(number_at_commit, number_when_recorded, elidable=False),
    ]
