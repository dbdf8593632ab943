"""Trigram indexes for diacritic-insensitive substring search (PostgreSQL only).

The folded text columns are searched with LIKE '%word%'; a GIN trigram index makes that an
index scan on large tables. SQLite (the embedded default) has no such index and scans.
"""

from django.db import migrations

INDEXES = [
    ("households_household", "search_text", "household_search_trgm"),
    ("households_member", "name_folded", "member_name_trgm"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column, name in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _, _, name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("households", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
