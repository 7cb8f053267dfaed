"""Load YAML into plain Python data while remembering where every value came from.

PyYAML's ``safe_load`` forgets line numbers and silently keeps the last of two equal mapping
keys. Here the text is *composed* (node graph with marks) with ``yaml.SafeLoader`` and walked
by hand, which gives:

* ``data``: plain dicts / lists / scalars. Mapping keys are always ``str``: the key exactly as
  written (``1:`` and ``"1":`` both become ``"1"``, so they are reported as duplicates);
* ``key_lines`` / ``value_lines``: path tuple -> 1-based line of the key / of the value
  (sequence items have a value line only); a path is a tuple of keys and list indexes,
  e.g. ``("menus", "main", "options", "1", "action")``;
* ``plain_keys``: paths whose key was written unquoted and which YAML itself would have read
  as something other than text (``01:`` is the number 1, ``yes:`` is true); the loader uses it
  to ask the admin to quote such keys;
* ``problems``: YAML syntax errors (with the line of the error mark), duplicate keys
  (both lines), unsupported keys or tags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ivr.config.problems import Problem, dotted

YamlPath = tuple[str | int, ...]

_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"


@dataclass
class YamlDoc:
    """Plain data of one YAML file plus the line of every key and value."""

    filename: str
    data: Any = None
    key_lines: dict[YamlPath, int] = field(default_factory=dict)
    value_lines: dict[YamlPath, int] = field(default_factory=dict)
    plain_keys: dict[YamlPath, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line(self, path: YamlPath) -> int | None:
        """Line of the key at ``path`` (or its value, or its nearest known ancestor)."""
        while True:
            if path in self.key_lines:
                return self.key_lines[path]
            if path in self.value_lines:
                return self.value_lines[path]
            if not path:
                return None
            path = path[:-1]

    def value_line(self, path: YamlPath) -> int | None:
        """Line of the value at ``path`` (falls back to :meth:`line`)."""
        return self.value_lines.get(path) or self.line(path)


def load_yaml_file(path: str | Path, filename: str | None = None) -> YamlDoc:
    """Read and map a YAML file; ``filename`` is the name used in problems (default: path)."""
    name = filename if filename is not None else str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        doc = YamlDoc(name)
        doc.problems.append(Problem(name, None, "", f"not UTF-8 text: {exc.reason}"))
        return doc
    return load_yaml(text, name)


def load_yaml(text: str, filename: str) -> YamlDoc:
    """Compose ``text`` and build a :class:`YamlDoc`; never raises on bad YAML."""
    doc = YamlDoc(filename)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            doc.data = _Walker(loader, doc).walk(node, (), set())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        indentation = _indentation_problem(exc, text)
        if indentation is not None:
            doc.problems.append(Problem(filename, *indentation))
        else:
            doc.problems.append(
                Problem(filename, line, _path_at(text, line), _syntax_message(exc, text, line))
            )
        doc.data = None
    except yaml.YAMLError as exc:  # e.g. a reader error on control characters
        doc.problems.append(Problem(filename, None, "", f"YAML error: {exc}"))
        doc.data = None
    finally:
        loader.dispose()
    return doc


_KEY_LINE = re.compile(r"^(\s*)(?:-\s+)?(\"[^\"]*\"|'[^']*'|[^\s#'\"][^:#]*?)\s*:(\s|$)")


def _key_at(lines: list[str], number: int) -> tuple[int, str] | None:
    """(indent, key) of a ``key:`` line (1-based number), or None."""
    if not 0 < number <= len(lines):
        return None
    match = _KEY_LINE.match(lines[number - 1])
    return (len(match.group(1)), match.group(2).strip("\"'")) if match else None


def _path_at(text: str, line: int | None) -> str:
    """The dotted path of the mapping a line sits in, read from the indentation above it
    (the document could not be parsed, so this is a best reading of the text)."""
    lines = text.splitlines()
    if line is None or not 0 < line <= len(lines):
        return ""
    current = len(lines[line - 1]) - len(lines[line - 1].lstrip(" "))
    parents: list[str] = []
    for number in range(line - 1, 0, -1):
        found = _key_at(lines, number)
        if found is not None and found[0] < current:
            parents.append(found[1])
            current = found[0]
            if current == 0:
                break
    return dotted(tuple(reversed(parents)))


def _content_line(lines: list[str], number: int, step: int) -> int | None:
    """The nearest line from ``number`` (1-based, going by ``step``) that is not blank or a
    comment."""
    while 0 < number <= len(lines):
        stripped = lines[number - 1].strip()
        if stripped and not stripped.startswith("#"):
            return number
        number += step
    return None


def _indentation_problem(exc: yaml.MarkedYAMLError, text: str) -> tuple[int, str, str] | None:
    """Keys of one mapping that do not line up, in plain words: (line, path, message), on
    the line that is out of step with its neighbours."""
    if exc.problem is None or not exc.problem.startswith("expected <block end>"):
        return None
    if exc.problem_mark is None:
        return None
    lines = text.splitlines()
    bad = exc.problem_mark.line + 1
    above = _content_line(lines, bad - 1, -1)
    here = _key_at(lines, bad)
    if here is None and lines[bad - 1].lstrip().startswith("- "):
        here = (len(lines[bad - 1]) - len(lines[bad - 1].lstrip(" ")), "-")
    if above is None or here is None:
        return None
    indent = len(lines[above - 1]) - len(lines[above - 1].lstrip(" "))
    what = "a list item" if lines[bad - 1].lstrip().startswith("-") else f"'{here[1]}'"
    above_key = _key_at(lines, above)
    above_what = f"'{above_key[1]}'" if above_key else "the line above"
    if lines[above - 1].lstrip().startswith("- ") and above_key is None:
        above_what = "the list item"
    if here[0] < indent:
        below = _content_line(lines, bad + 1, 1)
        below_indent = (
            None if below is None else len(lines[below - 1]) - len(lines[below - 1].lstrip(" "))
        )
        if below_indent == here[0]:  # the lines after agree with this one: the one above is odd
            return (
                above,
                _path_at(text, above),
                (
                    f"indentation: {above_what} starts at column {indent + 1}, deeper than "
                    f"{what} and the keys after it (column {here[0] + 1}); the keys of one "
                    "mapping must start in the same column (indent with spaces)"
                ),
            )
        return (
            bad,
            _path_at(text, bad),
            (
                f"indentation: {what} starts at column {here[0] + 1}, but {above_what} above it "
                f"starts at column {indent + 1}; the keys of one mapping must start in the same "
                "column (indent with spaces)"
            ),
        )
    return (
        bad,
        _path_at(text, above),
        (
            f"indentation: {what} starts at column {here[0] + 1}, deeper than {above_what} above "
            f"it (column {indent + 1}), which already has its value; indent it like "
            f"{above_what}, or give {above_what} no value on its line to open a mapping"
        ),
    )


def _syntax_message(exc: yaml.MarkedYAMLError, text: str, line: int | None) -> str:
    parts = [p for p in (exc.context, exc.problem) if p]
    message = "YAML syntax error: " + ("; ".join(parts) or "invalid YAML")
    lines = text.splitlines()
    source = lines[line - 1] if line is not None and 0 < line <= len(lines) else ""
    if "*" in source or "&" in source:
        message += " (keypad keys such as '*' and '#' must be quoted)"
    elif "\t" in source:
        message += " (indent with spaces, not tabs)"
    return message


class _Walker:
    def __init__(self, loader: yaml.SafeLoader, doc: YamlDoc) -> None:
        self.loader = loader
        self.doc = doc

    def problem(self, line: int, path: YamlPath, message: str) -> None:
        self.doc.problems.append(Problem(self.doc.filename, line, dotted(path), message))

    def walk(self, node: Node, path: YamlPath, active: set[int]) -> Any:
        line = node.start_mark.line + 1
        self.doc.value_lines.setdefault(path, line)
        if id(node) in active:
            self.problem(line, path, "recursive alias (a value that contains itself)")
            return None
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        active = active | {id(node)}
        if isinstance(node, SequenceNode):
            return [self.walk(item, (*path, i), active) for i, item in enumerate(node.value)]
        assert isinstance(node, MappingNode)
        result: dict[str, Any] = {}
        self.mapping_into(node, path, active, result, merged=False)
        return result

    def scalar(self, node: ScalarNode, path: YamlPath) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            self.problem(node.start_mark.line + 1, path, f"unsupported value: {exc.problem}")
            return node.value  # reported once; checks go on with the text as written
        except ValueError:  # a date that does not exist (2027-02-30): the checks judge the text
            return node.value

    def mapping_into(
        self,
        node: MappingNode,
        path: YamlPath,
        active: set[int],
        result: dict[str, Any],
        merged: bool,
    ) -> None:
        """Add ``node``'s pairs to ``result``; merged pairs never override own keys."""
        merges: list[Node] = []
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if isinstance(key_node, ScalarNode) and key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            if not isinstance(key_node, ScalarNode):
                self.problem(key_line, path, "a key must be plain text, not a list or mapping")
                continue
            key = key_node.value
            key_path = (*path, key)
            if key in result:
                if not merged:
                    first = self.doc.key_lines.get(key_path)
                    self.problem(
                        key_line,
                        key_path,
                        f"duplicate key '{key}' (first at line {first}); "
                        "YAML would silently keep only the last one",
                    )
                continue
            if key_node.style is None and key_node.tag != _STR_TAG:
                self.doc.plain_keys[key_path] = self.scalar(key_node, key_path)
            self.doc.key_lines[key_path] = key_line
            result[key] = self.walk(value_node, key_path, active)
        for merge in merges:
            sources = merge.value if isinstance(merge, SequenceNode) else [merge]
            for source in sources:
                if isinstance(source, MappingNode):
                    self.mapping_into(source, path, active, result, merged=True)
                else:
                    self.problem(
                        source.start_mark.line + 1,
                        path,
                        "'<<' merges only mappings (use an alias of a mapping)",
                    )
