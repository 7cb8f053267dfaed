"""The outage parsers' problems in Ukrainian, for the web console (the command line keeps
English). A table, in order, of (the English message as a regex, the Ukrainian template over
the regex's named groups); the first regex that matches the whole message wins. A message
``"{field}: {message}"`` (a CSV row's field) keeps the field and translates the rest. A
message the table does not know is shown in English, unchanged.

The file's own values (quoted, ``"..."`` in English) stay verbatim, in «...»; field, column
and member names, JSON paths and the files' own words (``Definite``, ``NoOutages``) too."""

from __future__ import annotations

import re
from string import Formatter

#: English descriptions of JSON values (``reading.describe``, ``Reader._wrong``) and list
#: words; applied to the named groups of ``_DESCRIBED`` when the whole value is one of them.
_WORDS = {
    "an object": "об’єкт",
    "an array": "масив",
    "a string": "текстовий рядок",
    "a whole number": "ціле число",
    "none": "жодної",
}
_DESCRIBED = frozenset({"expected", "got", "listed"})

_MOMENT_EXAMPLES = "2026-12-01T07:55+02:00, 2026-12-01 07:55 або 01.12.2026 07:55"

#: (English message, Ukrainian template), the first whole match wins.
_TABLE: tuple[tuple[str, str], ...] = (
    # reading.py: any JSON file
    (r"not JSON: (?P<reason>.*)", "не є коректним JSON: {reason}"),
    (r"(?P<key>[^\s:]+) is missing", "немає поля {key}"),
    (
        r"expected (?P<expected>an object|an array|a string|a whole number), got (?P<got>.*)",
        "очікується {expected}, отримано {got}",
    ),
    (
        r'"(?P<text>.*)" is not an ISO 8601 date and time',
        "«{text}» не є датою й часом ISO 8601",
    ),
    (
        r'"(?P<text>.*)" has no UTC offset \(such as (?P<example>[^()]*)\)',
        "«{text}»: немає зсуву від UTC (наприклад, {example})",
    ),
    # formats.py
    (r"cannot read: (?P<reason>.*)", "не вдалося прочитати файл: {reason}"),
    # moments.py: a date and time of our files
    (
        r'"(?P<text>.*)" is not a date and time \(2026-12-01T07:55\+02:00, 2026-12-01 07:55 '
        r"or 01\.12\.2026 07:55\)",
        "«{text}» не є датою й часом (наприклад, " + _MOMENT_EXAMPLES + ")",
    ),
    # groups.py
    (
        r'group "(?P<name>.*)" is not a group name like "3\.1" \(queue\.sub-queue\)',
        "«{name}» не є назвою черги на кшталт «3.1» (черга.підчерга)",
    ),
    (
        r'unknown group "(?P<name>.*)" \(the configured groups: (?P<listed>[^()]*)\)',
        "невідома черга «{name}» (налаштовані черги: {listed})",
    ),
    # ours.py: our CSV and JSON
    (
        r"unknown column\(s\) (?P<unknown>.*) \(the columns: (?P<columns>[^()]*)\)",
        "невідомі стовпці: {unknown} (можливі стовпці: {columns})",
    ),
    (r"missing column\(s\) (?P<missing>.*)", "бракує стовпців: {missing}"),
    (
        r"(?P<count>\d+) fields, the header has (?P<header>\d+)",
        "у рядку полів: {count}, а в заголовку: {header}",
    ),
    (
        r"unknown member\(s\) (?P<unknown>.*) \(the members: (?P<members>[^()]*)\)",
        "невідомі поля: {unknown} (можливі поля: {members})",
    ),
    (
        r"expected an array of strings, got (?P<got>.*)",
        "очікується масив текстових рядків, отримано {got}",
    ),
    (
        r"expected a date and time, null or an array of revisions, got (?P<got>.*)",
        "очікується дата й час, null або масив прогнозів, отримано {got}",
    ),
    (
        r'revision \[(?P<index>\d+)\] is not \{"at": "\.\.\.", "revised_at": "\.\.\."\} '
        r"with strings or null",
        'прогноз [{index}] не є {{"at": "...", "revised_at": "..."}} '
        "із текстовими рядками або null",
    ),
    (
        r'"(?P<id>.*)" is already the id of line (?P<line>\d+)',
        "«{id}» уже є номером відключення в рядку {line}",
    ),
    (
        r'"(?P<id>.*)" is already the id of (?P<path>\$.*)',
        "«{id}» уже є номером відключення в місці {path}",
    ),
    (r"(?P<name>\w+) is required", "поле {name} обов’язкове"),
    (
        r'unknown kind "(?P<value>.*)" \(expected one of (?P<allowed>[^()]*)\)',
        "невідомий вид відключення «{value}» (можливі: {allowed})",
    ),
    (
        r'unknown status "(?P<value>.*)" \(expected one of (?P<allowed>[^()]*)\)',
        "невідомий стан «{value}» (можливі: {allowed})",
    ),
    (
        r"houses need exactly one street, not (?P<count>\d+)",
        "будинки можна вказати лише для однієї вулиці, а вулиць: {count}",
    ),
    (
        r"(?P<at>\S+) is not after the start (?P<start>\S+)",
        "{at} не пізніше за початок відключення {start}",
    ),
    (r"revisions are not oldest first", "прогнози не впорядковано від найдавнішого"),
    # yasno.py
    (r"neither today nor tomorrow is given", "не вказано ні today, ні tomorrow"),
    (
        r'"(?P<value>.*)" is not a midnight \(expected (?P<midnight>[^()]*)\)',
        "«{value}» не є північчю (очікується {midnight})",
    ),
    (
        r'"(?P<value>.*)": the offset is not (?P<zone>\S+)\'s on (?P<day>\S+) '
        r"\((?P<offset>[^()]*)\)",
        "«{value}»: зсув від UTC не такий, як у {zone} на {day} ({offset})",
    ),
    (
        r'unknown slot type "(?P<value>.*)" \(expected (?P<off>\w+) or (?P<on>\w+)\)',
        "невідомий тип проміжку «{value}» (можливі: {off} або {on})",
    ),
    (
        r"slot (?P<start>-?\d+)-(?P<end>-?\d+) is outside the day \((?P<day>[^()]*)\)",
        "проміжок {start}-{end} виходить за межі доби ({day})",
    ),
    (
        r"slot starts at (?P<start>-?\d+), not before its end (?P<end>-?\d+)",
        "початок проміжку {start} не раніше за його кінець {end}",
    ),
    (
        r"slot (?P<start>-?\d+)-(?P<end>-?\d+) overlaps slot \[(?P<other>\d+)\] "
        r"(?P<other_start>-?\d+)-(?P<other_end>-?\d+)",
        "проміжок {start}-{end} перетинається з проміжком [{other}] {other_start}-{other_end}",
    ),
    (
        r"a (?P<off>\w+) slot on a day of status (?P<status>\w+)",
        "проміжок {off} у день зі статусом {status}",
    ),
    # dtek.py
    (
        r'"(?P<text>.*)" is not DD\.MM\.YYYY HH:MM or HH:MM DD\.MM\.YYYY',
        "«{text}» не має вигляду ДД.ММ.РРРР ГГ:ХХ або ГГ:ХХ ДД.ММ.РРРР",
    ),
    (
        r'hour "(?P<hour>\d+)" with hour "(?P<other>\d+)" at (?P<path>\$.*?): hours are '
        r"numbered (?P<one>\S+) or (?P<two>\S+), not both",
        "година «{hour}» разом із годиною «{other}» у місці {path}: години нумерують "
        "або {one}, або {two}, не обома способами",
    ),
    (r'"(?P<stamp>.*)" is not a Unix time', "«{stamp}» не є часом Unix"),
    (
        r"(?P<stamp>\d+) is not a midnight in (?P<zone>\S+) \(it is (?P<moment>[^()]*)\)",
        "{stamp} не є північчю в {zone} (це {moment})",
    ),
    (
        r'"(?P<key>.*)" is not a group key like "(?P<example>[^"]*)"',
        "«{key}» не є ключем черги на кшталт «{example}»",
    ),
    (
        r'hour "(?P<key>.*)" is not one of "(?P<first>\d+)"\.\."(?P<last>\d+)"',
        "година «{key}» не є однією з «{first}»..«{last}»",
    ),
    (
        r'unknown hour state "(?P<value>.*)" \(expected one of (?P<allowed>[^()]*)\)',
        "невідомий стан години «{value}» (можливі: {allowed})",
    ),
)

#: ``"{field}: {message}"`` of a CSV row (``ours.parse_csv``'s note).
_FIELD_PREFIX = re.compile(r"(?P<field>[a-z_]+): (?P<rest>.+)", re.DOTALL)
_LINE_PLACE = re.compile(r"(?P<file>.*):(?P<line>\d+)", re.DOTALL)
_PATH_PLACE = re.compile(r"(?P<file>.*?): (?P<path>\$.*)", re.DOTALL)


def _compiled() -> tuple[tuple[re.Pattern[str], str], ...]:
    """The table compiled; a template naming a group its regex lacks fails at import."""
    table = []
    for pattern, template in _TABLE:
        regex = re.compile(pattern, re.DOTALL)
        names = {name for _, name, _, _ in Formatter().parse(template) if name is not None}
        if not names <= set(regex.groupindex):
            raise ValueError(f"{template!r} names groups {pattern!r} lacks")
        table.append((regex, template))
    return tuple(table)


MESSAGES = _compiled()


def _translated(message: str) -> str | None:
    for regex, template in MESSAGES:
        match = regex.fullmatch(message)
        if match:
            values = {
                name: _WORDS.get(value, value) if name in _DESCRIBED else value
                for name, value in match.groupdict().items()
            }
            return template.format(**values)
    return None


def ukrainian(message: str) -> str:
    """A parser's English problem message in Ukrainian; unchanged when it is not known."""
    found = _translated(message)
    if found is not None:
        return found
    prefixed = _FIELD_PREFIX.fullmatch(message)
    if prefixed:
        rest = _translated(prefixed["rest"])
        if rest is not None:
            return f"{prefixed['field']}: {rest}"
    return message


def ukrainian_place(where: str) -> str:
    """``feed.csv:7`` -> ``feed.csv, рядок 7``; ``file: $.x[2]`` -> ``file, місце $.x[2]``;
    anything else (a whole file) unchanged."""
    path = _PATH_PLACE.fullmatch(where)
    if path:
        return f"{path['file']}, місце {path['path']}"
    line = _LINE_PLACE.fullmatch(where)
    if line:
        return f"{line['file']}, рядок {line['line']}"
    return where
