"""Search people can trust (households.search): `search_text` holds only the folded words of
the address (names are searched in `Member.name_folded`, one member at a time; codes, citizen
IDs and phone numbers in their own columns, whole), and the phone number gets an index.

Searched words start words: `' ' || column LIKE '% word%'` (households.search). On PostgreSQL
the trigram indexes of migration 0002 (on the bare columns) give way to trigram indexes on
those expressions, which one index scan answers for all the words of a query.

The rewrite runs in chunks of 5,000 households, with no trigram index on `search_text` to
update row by row (it is built after).
"""

import re

from django.db import migrations, models

from core.text import fold

CHUNK = 5000
WORD = re.compile(r"[0-9a-z]+")
OLD = [  # migration 0002's
    ("households_household", "search_text", "household_search_trgm"),
    ("households_member", "name_folded", "member_name_trgm"),
]
NEW = [
    ("households_household", "search_text", "household_address_words_trgm"),
    ("households_member", "name_folded", "member_name_words_trgm"),
]


def address_text(address):  # households.search.address_search_text, frozen here
    return " ".join(WORD.findall(fold(address)))


def rewrite(apps, schema_editor):
    connection = schema_editor.connection
    postgres = connection.vendor == "postgresql"
    table = connection.ops.quote_name(apps.get_model("households", "Household")._meta.db_table)
    if postgres:
        for _, _, name in OLD:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    with connection.cursor() as cursor:
        last = None
        while True:
            if last is None:
                cursor.execute(f"SELECT id, address FROM {table} ORDER BY id LIMIT %s", [CHUNK])
            else:
                cursor.execute(
                    f"SELECT id, address FROM {table} WHERE id > %s ORDER BY id LIMIT %s",
                    [last, CHUNK],
                )
            rows = cursor.fetchall()
            if not rows:
                break
            last = rows[-1][0]
            texts = [address_text(address) for _, address in rows]
            if postgres:
                cursor.execute(
                    f"UPDATE {table} AS h SET search_text = v.text "
                    "FROM unnest(%s::uuid[], %s::text[]) AS v(id, text) WHERE h.id = v.id",
                    [[pk for pk, _ in rows], texts],
                )
            else:
                cursor.executemany(
                    f"UPDATE {table} SET search_text = %s WHERE id = %s",
                    [(text, pk) for text, (pk, _) in zip(texts, rows, strict=True)],
                )
    if postgres:
        for table_name, column, name in NEW:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table_name} "
                f"USING gin ((' ' || {column}) gin_trgm_ops)"
            )


def back(apps, schema_editor):
    """The indexes of migration 0002 again (the address-only text stays: the old text joined
    every member's name)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for _, _, name in NEW:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    for table_name, column, name in OLD:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table_name} USING gin ({column} gin_trgm_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("geo", "0002_reference_data"),
        ("households", "0002_search_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="household",
            name="search_text",
            field=models.TextField(
                default="",
                editable=False,
                help_text="The folded words of the address, for search (households.search).",
            ),
        ),
        migrations.AddIndex(
            model_name="household",
            index=models.Index(fields=["phone"], name="household_phone"),
        ),
        migrations.RunPython(rewrite, back, elidable=False),
    ]
