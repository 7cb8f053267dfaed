"""Rows of named values as a terminal table, CSV or JSON.

Times are shown in the company's timezone: ``01.12.2026 14:05`` in a table, ISO 8601 with
the offset (``2026-12-01T14:05:00+02:00``) in CSV and JSON. Mappings (an appeal's details)
are JSON text in a table and in CSV, objects in JSON.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

Row = Mapping[str, Any]
FORMATS = ("table", "csv", "json")


def render(columns: Sequence[str], rows: Sequence[Row], fmt: str, tz: ZoneInfo) -> str:
    """``rows`` (each with every one of ``columns``) in ``fmt``: table, csv or json."""
    if fmt == "table":
        return as_table(columns, rows, tz)
    if fmt == "csv":
        return as_csv(columns, rows, tz)
    if fmt == "json":
        return as_json(columns, rows, tz)
    raise ValueError(f"unknown format {fmt!r}: use {', '.join(FORMATS)}")


def as_table(columns: Sequence[str], rows: Sequence[Row], tz: ZoneInfo) -> str:
    cells = [[c.upper() for c in columns]]
    cells += [[_cell(row[c], tz) for c in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    return "\n".join(
        "  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip()
        for line in cells
    )


def as_csv(columns: Sequence[str], rows: Sequence[Row], tz: ZoneInfo) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_text(row[c], tz) for c in columns])
    return out.getvalue().rstrip("\n")


def as_json(columns: Sequence[str], rows: Sequence[Row], tz: ZoneInfo) -> str:
    data = [{c: _plain(row[c], tz) for c in columns} for row in rows]
    return json.dumps(data, ensure_ascii=False, indent=2)


def _cell(value: Any, tz: ZoneInfo) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.astimezone(tz).strftime("%d.%m.%Y %H:%M")
    return _text(value, tz)


def _text(value: Any, tz: ZoneInfo) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _iso(value, tz)
    if isinstance(value, Mapping | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _plain(value: Any, tz: ZoneInfo) -> Any:
    return _iso(value, tz) if isinstance(value, datetime) else value


def _iso(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).isoformat(timespec="seconds")
