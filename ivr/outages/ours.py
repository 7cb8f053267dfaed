"""Our own outage files, CSV and JSON, for emergency and planned outages (README "Outage data").

Both have the same fields: ``id``, ``kind`` (emergency/planned), ``settlement``, ``streets``,
``houses`` (with exactly one street), ``feeder``, ``groups``, ``start``, ``restoration``,
``status`` (active/restored/cancelled, default active), ``note``. CSV lists are separated by
``;`` (by ``,`` in a file whose columns are separated by ``;``, as Excel writes it here),
and an optional ``revised_at`` column says when the estimate was given; in JSON
(``{"outages": [...]}``) lists are arrays and ``restoration`` may be the list of its
revisions, ``[{"at": ..., "revised_at": ...}, ...]``, oldest first.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ivr.outages.batch import Batch, Origin
from ivr.outages.groups import group_problem
from ivr.outages.model import Area, Outage, OutageKind, OutageStatus, Restoration
from ivr.outages.moments import parse_moment
from ivr.outages.problems import BadData, JsonPath, Problem, at_line, at_path
from ivr.outages.reading import Reader, describe, load_json

FIELDS = (
    *("id", "kind", "settlement", "streets", "houses", "feeder", "groups", "start"),
    *("restoration", "status", "note"),
)
CSV_FIELDS = (*FIELDS, "revised_at")
REQUIRED = ("id", "kind", "settlement", "start")
LISTS = ("streets", "houses", "groups")

#: Notes a problem with one field (None: the record as a whole).
Note = Callable[[str | None, str], None]


def parse_csv(text: str, origin: Origin) -> Batch:
    """The outages of one of our CSV files; BadData with every problem when any is wrong."""
    text = text.removeprefix("\ufeff")
    header = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if ";" in header and "," not in header else ","
    separator = "," if delimiter == ";" else ";"
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    problems: list[Problem] = []
    columns = [c.strip() for c in next(rows, [])]
    unknown = [c for c in columns if c not in CSV_FIELDS]
    missing = [c for c in REQUIRED if c not in columns]
    if unknown:
        problems.append(
            at_line(
                origin.file,
                1,
                f"unknown column(s) {', '.join(unknown)} (the columns: {', '.join(CSV_FIELDS)})",
            )
        )
    if missing:
        problems.append(at_line(origin.file, 1, f"missing column(s) {', '.join(missing)}"))
    if problems:
        raise BadData(problems)
    outages: list[Outage] = []
    lines: dict[str, int] = {}
    for values in rows:
        line = rows.line_num
        if not any(v.strip() for v in values):
            continue

        def note(field: str | None, message: str, line: int = line) -> None:
            prefix = f"{field}: " if field else ""
            problems.append(at_line(origin.file, line, prefix + message))

        if len(values) != len(columns):
            note(None, f"{len(values)} fields, the header has {len(columns)}")
            continue
        raw: dict[str, Any] = dict(zip(columns, (v.strip() for v in values), strict=True))
        for name in LISTS:
            raw[name] = [p.strip() for p in raw.get(name, "").split(separator) if p.strip()]
        revised = raw.pop("revised_at", "")
        raw["restoration"] = [{"at": raw.get("restoration", ""), "revised_at": revised}]
        outage = _outage(raw, note, origin)
        if outage is not None and _unique(outage.id, line, lines, note, "line"):
            outages.append(outage)
    if problems:
        raise BadData(problems)
    return Batch(outages=tuple(outages))


def parse_json(text: str, origin: Origin) -> Batch:
    """The outages of one of our JSON files; BadData with every problem when any is wrong."""
    reader = Reader(origin.file)
    document = reader.object(load_json(text, origin.file), ()) or {}
    items = reader.array(reader.get(document, "outages", ()), ("outages",)) or []
    outages: list[Outage] = []
    places: dict[str, int] = {}
    for index, item in enumerate(items):
        path: JsonPath = ("outages", index)

        def note(field: str | None, message: str, path: JsonPath = path) -> None:
            reader.problems.append(at_path(origin.file, (*path, field) if field else path, message))

        entry = reader.object(item, path)
        if entry is None:
            continue
        unknown = [k for k in entry if k not in FIELDS]
        if unknown:
            note(None, f"unknown member(s) {', '.join(unknown)} (the members: {', '.join(FIELDS)})")
        raw = _json_raw(entry, note)
        if raw is None:
            continue
        outage = _outage(raw, note, origin)
        if outage is not None and _unique(outage.id, index, places, note, "outages"):
            outages.append(outage)
    reader.check()
    return Batch(outages=tuple(outages))


def _json_raw(entry: dict[str, Any], note: Note) -> dict[str, Any] | None:
    """A JSON outage's members as the shared reader takes them (strings and string lists)."""
    raw: dict[str, Any] = {}
    fine = True
    for name in FIELDS:
        value = entry.get(name)
        if name in LISTS:
            value = [] if value is None else value
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                note(name, f"expected an array of strings, got {describe(value)}")
                fine = False
            raw[name] = [v.strip() for v in value if isinstance(v, str) and v.strip()]
        elif name == "restoration":
            raw[name] = _json_revisions(value, note)
            fine = fine and raw[name] is not None
        elif value is None or isinstance(value, str):
            raw[name] = (value or "").strip()
        else:
            note(name, f"expected a string, got {describe(value)}")
            fine = False
    return raw if fine else None


def _json_revisions(value: Any, note: Note) -> list[dict[str, str]] | None:
    if value is None or isinstance(value, str):
        return [{"at": value or "", "revised_at": ""}]
    if not isinstance(value, list) or not value:
        note(
            "restoration",
            f"expected a date and time, null or an array of revisions, got {describe(value)}",
        )
        return None
    revisions = []
    for index, item in enumerate(value):
        if not (
            isinstance(item, dict)
            and set(item) <= {"at", "revised_at"}
            and all(v is None or isinstance(v, str) for v in item.values())
        ):
            note(
                "restoration",
                f"revision [{index}] is not "
                '{"at": "...", "revised_at": "..."} with strings or null',
            )
            return None
        revisions.append({"at": item.get("at") or "", "revised_at": item.get("revised_at") or ""})
    return revisions


def _unique(id_: str, place: int, seen: dict[str, int], note: Note, kind: str) -> bool:
    if id_ in seen:
        where = f"line {seen[id_]}" if kind == "line" else f"$.outages[{seen[id_]}]"
        note("id", f'"{id_}" is already the id of {where}')
        return False
    seen[id_] = place
    return True


def _outage(raw: dict[str, Any], note: Note, origin: Origin) -> Outage | None:
    """One outage from its fields (strings; lists of strings); every wrong field noted."""
    before: list[str] = []

    def wrong(field: str | None, message: str) -> None:
        before.append(message)
        note(field, message)

    for name in REQUIRED:
        if not raw.get(name):
            wrong(name, f"{name} is required")
    kind = _choice(raw.get("kind", ""), OutageKind, "kind", wrong)
    status = _choice(raw.get("status", "") or "active", OutageStatus, "status", wrong)
    start = _moment(raw.get("start", ""), "start", origin, wrong)
    streets, houses = tuple(raw["streets"]), tuple(raw["houses"])
    if houses and len(streets) != 1:
        wrong("houses", f"houses need exactly one street, not {len(streets)}")
    for group in raw["groups"]:
        problem = group_problem(group, origin.known_groups)
        if problem:
            wrong("groups", problem)
    restorations = _restorations(raw["restoration"], start, origin, wrong)
    if before or kind is None or status is None or start is None or restorations is None:
        return None
    area = Area(raw["settlement"], streets, houses, raw.get("feeder") or None, tuple(raw["groups"]))
    return Outage(
        raw["id"],
        OutageKind(kind),
        area,
        start,
        OutageStatus(status),
        restorations,
        raw.get("note", ""),
        origin.source,
    )


def _choice(
    value: str, kind: type[OutageKind] | type[OutageStatus], field: str, wrong: Note
) -> str | None:
    allowed = [k.value for k in kind]
    if value in allowed:
        return value
    if value:
        wrong(field, f'unknown {field} "{value}" (expected one of {", ".join(allowed)})')
    return None


def _moment(text: str, field: str, origin: Origin, wrong: Note) -> datetime | None:
    if not text:
        return None
    try:
        return parse_moment(text, origin.tz)
    except ValueError as exc:
        wrong(field, str(exc))
        return None


def _restorations(
    revisions: list[dict[str, str]], start: datetime | None, origin: Origin, wrong: Note
) -> tuple[Restoration, ...] | None:
    """The estimates, oldest first; revised_at defaults to now (the first time it is seen)."""
    found: list[Restoration] = []
    now = datetime.now(UTC)
    for revision in revisions:
        at = _moment(revision["at"], "restoration", origin, wrong)
        revised = _moment(revision["revised_at"], "revised_at", origin, wrong) or now
        if revision["at"] and at is None:
            return None
        if at is not None and start is not None and at <= start:
            wrong("restoration", f"{at.isoformat()} is not after the start {start.isoformat()}")
            return None
        if found and revised < found[-1].revised_at:
            wrong("restoration", "revisions are not oldest first")
            return None
        found.append(Restoration(at, revised, origin.source))
    return tuple(found)
