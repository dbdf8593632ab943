"""`?format=csv` and `?format=xlsx` of every report: the same table as the JSON, with the
translated column labels as headers (core.spreadsheet writes both formats)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from rest_framework.renderers import BaseRenderer

from core import spreadsheet


def table_of(data: Any, view) -> tuple[str, list[dict[str, str]], list[dict[str, Any]]]:
    """(title, columns, rows) of a report response: an envelope carries its own columns; a
    plain list (the v1 budget-execution and coverage arrays) takes the view's. Rendering
    happens inside the request, so the labels are in its language (LocaleMiddleware)."""
    if isinstance(data, dict) and "columns" in data:
        rows = list(data["rows"])
        first = data["columns"][0] if data["columns"] else None
        if data.get("total") and data["rows"] != [data["total"]]:
            label = {first["key"]: gettext("Total")} if first and first["type"] == "text" else {}
            rows.append({**data["total"], **label})
        return str(data.get("title") or ""), data["columns"], rows
    return str(view.title), [c.json() for c in view.export_columns], list(data)


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        view = (renderer_context or {}).get("view")
        _title, columns, rows = table_of(data, view)
        text = spreadsheet.table_csv(
            [c["label"] for c in columns], ([r.get(c["key"]) for c in columns] for r in rows)
        )
        return text.encode("utf-8")


class XLSXRenderer(BaseRenderer):
    media_type = spreadsheet.XLSX_CONTENT_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        view = (renderer_context or {}).get("view")
        title, columns, rows = table_of(data, view)
        return spreadsheet.table_xlsx(
            title,
            [c["label"] for c in columns],
            [c["type"] for c in columns],
            ([r.get(c["key"]) for c in columns] for r in rows),
        )
