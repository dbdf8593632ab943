"""`Statement`: a read of a fixed shape whose SQL Django compiles once, then runs again with
new values.

Building a queryset and compiling it to SQL is Python work done again on every request: about
half of each query's cost, and 42% of a household's detail (cProfile, bench in issue 15). A
read whose shape never changes, only its values, is written once as a queryset with `Param`
in place of each value. The first run compiles it; every run sends that SQL text with the
values adapted as Django adapts them (the model field's `get_db_prep_value`), and builds the
same instances (with their `select_related` objects) or tuples (`values_list`) that the
queryset would. On PostgreSQL the statement is also prepared on each connection (`_cursor`),
so the server neither parses nor plans it again.

    _TOKEN = Statement(ApiToken.objects.filter(digest=Param("digest", digest_field))[:1])
    token = next(iter(_TOKEN.run(digest=...)), None)

Only for plain reads: a queryset with prefetches, known related objects or another iterable
(`values()`, `flat=True`) is refused when the statement is built. A model row's annotations
are set on its instance as the queryset would set them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import Expression, Field, QuerySet
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators


class _Slot:
    """A value's place in the compiled parameters, and how to adapt the value given."""

    __slots__ = ("adapt", "name")

    def __init__(self, name: str, adapt: Callable[[Any, Any], Any]):
        self.name = name
        self.adapt = adapt


def _field_value(field: Field) -> Callable[[Any, Any], Any]:
    return lambda value, connection: field.get_db_prep_value(value, connection, prepared=False)


class Param(Expression):
    """A value given when the statement runs: `filter(code=Param("code", field))`. The field
    adapts the value (as the lookup would on the field it compares with); without one, the
    lookup adapts it (`core.lookups.InValues`: a list of values)."""

    def __init__(self, name: str, field: Field | None = None):
        super().__init__(output_field=field)
        self.name = name
        self.adapted_by = field

    def slot(self, adapt: Callable[[Any, Any], Any] | None = None) -> _Slot:
        if adapt is None and self.adapted_by is None:
            raise TypeError(f"Param {self.name!r}: a field adapts its value, or the lookup.")
        return _Slot(self.name, adapt or _field_value(self.adapted_by))

    def as_sql(self, compiler, connection):
        return "%s", [self.slot()]


class Statement:
    """A queryset built with `Param`s, compiled at its first run on each database alias."""

    def __init__(self, queryset: QuerySet):
        if queryset._iterable_class not in (ModelIterable, ValuesListIterable):
            raise TypeError("A statement reads model instances or values_list() tuples.")
        if queryset._prefetch_related_lookups or queryset._known_related_objects:
            raise TypeError("A statement reads one query: no prefetches, no related objects.")
        self._queryset = queryset
        self._compiled: dict[str, tuple] = {}

    def _compile(self, using: str) -> tuple:
        compiler = self._queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        fields = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = list(compiler.get_converters(fields).items())
        build = None
        if self._queryset._iterable_class is ModelIterable:
            info = compiler.klass_info
            start, end = info["select_fields"][0], info["select_fields"][-1] + 1
            names = [column[0].target.attname for column in compiler.select[start:end]]
            populators = get_related_populators(info, compiler.select, using)
            annotations = list(compiler.annotation_col_map.items())
            model = info["model"]

            def build(row: list) -> Any:
                instance = model.from_db(using, names, row[start:end])
                for populator in populators:
                    populator.populate(row, instance)
                for name, position in annotations:
                    setattr(instance, name, row[position])
                return instance

        width = compiler.col_count if compiler.has_extra_select else None
        compiled = (sql, tuple(params), converters, build, width)
        self._compiled[using] = compiled
        return compiled

    def run(self, using: str = "default", **values: Any) -> list:
        """The rows for these values: model instances, or tuples for `values_list()`."""
        sql, params, converters, build, width = self._compiled.get(using) or self._compile(using)
        connection = connections[using]
        bound = [p.adapt(values[p.name], connection) if type(p) is _Slot else p for p in params]
        with _cursor(connection) as cursor:
            cursor.execute(sql, bound)
            rows = cursor.fetchall()
        if width is not None:
            rows = [row[:width] for row in rows]
        out = []
        for row in rows:
            if converters:
                row = list(row)
                for position, (functions, expression) in converters:
                    value = row[position]
                    for convert in functions:
                        value = convert(value, expression, connection)
                    row[position] = value
            out.append(build(row) if build else tuple(row))
        return out


def _cursor(connection):
    """A cursor that prepares its statements, where the connection allows it (PostgreSQL,
    `PG_PREPARED_STATEMENTS`); else Django's own. Django binds values on the client: the
    server parses and plans the text on every run. Prepared, a statement is planned a few
    times, then runs its generic plan: 0.4 ms less for the token's read (bench/README.md).
    Only statements are prepared: a fixed text whose values pick rows by key, for which one
    plan fits every value; a list's or a search's query is planned for its values.

    Where queries are logged (DEBUG, a test counting them), Django's cursor runs them: psycopg
    keeps no text of a prepared run for the log to show."""
    connection.ensure_connection()
    if (
        connection.vendor != "postgresql"
        or connection.queries_logged
        or connection.connection.prepare_threshold is None
    ):
        return connection.cursor()
    with connection.wrap_database_errors:
        return connection._prepare_cursor(_preparing_cursor()(connection.connection))


@functools.cache
def _preparing_cursor() -> type:
    """Django's server-binding cursor, each statement prepared on its first run (psycopg's
    `prepare=True`); the connection keeps its last 100. Imported when first used."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

    return PreparingCursor
