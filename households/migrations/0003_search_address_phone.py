"""Search people can trust (households.search): `search_text` holds only the folded words of
the address (names are searched in `Member.name_folded`, one member at a time; codes, citizen
IDs and phone numbers in their own columns, whole), and the phone number gets an index.

The rewrite runs in chunks of 5,000 households. On PostgreSQL the trigram index of
`search_text` is dropped first and built again after (faster than updating it row by row).
"""

import re

from django.db import migrations, models

from core.text import fold

CHUNK = 5000
WORD = re.compile(r"[0-9a-z]+")
TRIGRAM = "household_search_trgm"


def address_text(address):  # households.search.address_search_text, frozen here
    return " ".join(WORD.findall(fold(address)))


def rewrite(apps, schema_editor):
    connection = schema_editor.connection
    postgres = connection.vendor == "postgresql"
    table = connection.ops.quote_name(apps.get_model("households", "Household")._meta.db_table)
    if postgres:
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM}")
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
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {TRIGRAM} ON {table} USING gin (search_text gin_trgm_ops)"
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
        # Not reversible to the old text (it joined every member's name): backwards, the
        # address-only text stays.
        migrations.RunPython(rewrite, migrations.RunPython.noop, elidable=False),
    ]
