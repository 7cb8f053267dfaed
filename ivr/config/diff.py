"""What changes between two validated configurations: ``ivr validate --diff OLD NEW`` and
the summary a SIGHUP reload logs.

:func:`diff_configs` compares company by company (matched by ``company.id``; the main file's
company with the main file's, profiles added or removed are said so): menus, their options
(each action in a one-line form, ``redirect D11 -> operator D99``), prompt texts, the topic
catalogues, other settings by name, and the prompts whose audio must be rebuilt. It is pure:
what the audio build holds is asked of ``audio`` (``ivr.audio.build.stale_prompts`` reads
the manifest), and without it a prompt added or changed since OLD needs its audio built.
:func:`render` turns the result into lines (English labels, Ukrainian texts shortened).
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivr.actions.base import Action
from ivr.config.model import Config, Prompts, Topic

#: What the audio build says of a config's prompts: prompt id -> why its audio is not up to
#: date (only those); None when nothing is known (no readable manifest).
AudioCheck = Callable[[Config], Mapping[str, str] | None]

#: Prompt texts are shown shortened to this many characters.
TEXT_WIDTH = 50

ADDED, REMOVED, CHANGED = "added", "removed", "changed"


@dataclass(frozen=True)
class FieldChange:
    """One field of a menu, or one setting, from ``old`` to ``new`` (readable forms)."""

    name: str
    old: str
    new: str


@dataclass(frozen=True)
class MenuChange:
    name: str
    status: str  # added | removed | changed
    fields: tuple[FieldChange, ...] = ()  # for ``changed``: what differs besides the options


@dataclass(frozen=True)
class OptionChange:
    menu: str
    key: str
    old: str | None  # the action in one line; None: added
    new: str | None  # None: removed

    @property
    def status(self) -> str:
        return ADDED if self.old is None else REMOVED if self.new is None else CHANGED


@dataclass(frozen=True)
class PromptChange:
    id: str
    old: str | None  # the text; None: added
    new: str | None  # None: removed
    #: the config names it (a menu, the operator...), or a company sharing the texts does
    used: bool
    hints_changed: bool = False  # voice or speed

    @property
    def status(self) -> str:
        return ADDED if self.old is None else REMOVED if self.new is None else CHANGED


@dataclass(frozen=True)
class TopicChange:
    role: str  # the catalogue
    code: str
    status: str  # added | removed | changed
    label: str  # the new label (the old one when removed)
    old_label: str | None = None  # when relabelled
    deadline: str | None = None  # "45 days" when it changed (or of an added topic)
    old_deadline: str | None = None
    handled_by: str | None = None  # when ``handled_by`` changed: "supplier", "-"
    old_handled_by: str | None = None


@dataclass(frozen=True)
class Rebuild:
    """A prompt whose audio must be built before calls hear the new text."""

    id: str
    text: str
    reason: str


@dataclass(frozen=True)
class CompanyDiff:
    id: str
    status: str  # changed (compared) | added | removed (a profile)
    source: str = ""  # the file (name) the company's configuration comes from
    menus: tuple[MenuChange, ...] = ()
    options: tuple[OptionChange, ...] = ()
    prompts: tuple[PromptChange, ...] = ()
    #: the company whose prompt changes these are too (one prompt texts file, one build)
    prompts_as: str | None = None
    topics: tuple[TopicChange, ...] = ()
    settings: tuple[FieldChange, ...] = ()
    rebuild: tuple[Rebuild, ...] = ()
    #: was the audio build asked (a manifest read), or is ``rebuild`` what changed since OLD
    audio_checked: bool = False

    @property
    def empty(self) -> bool:
        changes = (self.menus, self.options, self.prompts, self.topics, self.settings)
        return self.status == CHANGED and not any(changes) and not self.rebuild


@dataclass(frozen=True)
class ConfigDiff:
    companies: tuple[CompanyDiff, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return all(c.empty for c in self.companies)

    @property
    def rebuild(self) -> tuple[str, ...]:
        """Every prompt id whose audio must be built, once."""
        return tuple(dict.fromkeys(r.id for c in self.companies for r in c.rebuild))

    def as_dict(self) -> dict[str, Any]:
        """For JSON: every field, and each option's and prompt's status."""
        data = dataclasses.asdict(self)
        for company, raw in zip(self.companies, data["companies"], strict=True):
            for kind in ("options", "prompts"):
                for change, item in zip(getattr(company, kind), raw[kind], strict=True):
                    item["status"] = change.status
        return {"changed": not self.empty, **data}


# -- comparing -------------------------------------------------------------------------------


def diff_configs(old: Config, new: Config, audio: AudioCheck | None = None) -> ConfigDiff:
    """What differs from ``old`` to ``new``, company by company (see the module)."""
    old_by_id = {c.company.id: c for c in old.companies[1:]}
    new_by_id = {c.company.id: c for c in new.companies[1:]}
    pairs: list[tuple[Config | None, Config | None]] = [(old, new)]
    pairs += [(old_by_id.get(i), c) for i, c in new_by_id.items()]
    pairs += [(c, None) for i, c in old_by_id.items() if i not in new_by_id]
    result: list[CompanyDiff] = []
    #: (old prompts, new prompts) already compared -> the company they were compared for
    compared: dict[tuple[int, int], str] = {}
    for before, after in pairs:
        if after is None:
            assert before is not None
            result.append(CompanyDiff(before.company.id, REMOVED, before.source.name))
        elif before is None:
            result.append(_added(after, audio))
        else:
            result.append(_company(before, after, old, new, audio, compared))
    return ConfigDiff(tuple(result))


def _added(config: Config, audio: AudioCheck | None) -> CompanyDiff:
    stale = audio(config) if audio is not None else None
    rebuild = _rebuild_from_build(config, stale, {}) if stale is not None else ()
    return CompanyDiff(
        config.company.id,
        ADDED,
        config.source.name,
        rebuild=rebuild,
        audio_checked=stale is not None,
    )


def _company(
    old: Config,
    new: Config,
    old_all: Config,
    new_all: Config,
    audio: AudioCheck | None,
    compared: dict[tuple[int, int], str],
) -> CompanyDiff:
    menus, options = _menus(old, new)
    place = _prompts_key(old_all, old.prompts), _prompts_key(new_all, new.prompts)
    prompts_as = compared.get(place)
    prompts: tuple[PromptChange, ...] = ()
    rebuild: tuple[Rebuild, ...] = ()
    checked = False
    if prompts_as is None:
        compared[place] = new.company.id
        used = _used_prompts(c for c in new_all.companies if c.prompts == new.prompts)
        used |= _used_prompts(c for c in old_all.companies if c.prompts == old.prompts)
        prompts = _prompts(old.prompts, new.prompts, used)
        stale = audio(new) if audio is not None else None
        checked = stale is not None
        rebuild = (
            _rebuild_from_build(new, stale, {p.id: p for p in prompts})
            if stale is not None
            else _rebuild_from_changes(prompts)
        )
    return CompanyDiff(
        new.company.id,
        CHANGED,
        new.source.name,
        menus=menus,
        options=options,
        prompts=prompts,
        prompts_as=prompts_as,
        topics=_topics(old, new),
        settings=_settings(old, new, server=new is new_all),
        rebuild=rebuild,
        audio_checked=checked,
    )


def _prompts_key(whole: Config, prompts: Prompts) -> int:
    """Which of the configuration's distinct prompt sets ``prompts`` is (equal ones: one)."""
    distinct: list[Prompts] = []
    for config in whole.companies:
        if config.prompts not in distinct:
            distinct.append(config.prompts)
    return distinct.index(prompts)


#: Menu fields compared besides the options, with their labels.
MENU_FIELDS = (
    ("greeting", "greeting"),
    ("short_greeting", "short greeting"),
    ("timeout_ms", "timeout"),
    ("inter_digit_timeout_ms", "inter-digit timeout"),
    ("max_failures", "max failures"),
    ("invalid_prompt", "invalid prompt"),
    ("timeout_prompt", "timeout prompt"),
    ("topic", "topic"),
)


def _menu_value(attr: str, value: object) -> str:
    if attr.endswith("_ms") and isinstance(value, int):
        return f"{value / 1000:g} s"
    return _value(value)


def _menus(old: Config, new: Config) -> tuple[tuple[MenuChange, ...], tuple[OptionChange, ...]]:
    menus: list[MenuChange] = []
    options: list[OptionChange] = []
    for name in _union(old.menus, new.menus):
        before, after = old.menus.get(name), new.menus.get(name)
        if before is None or after is None:
            menus.append(MenuChange(name, ADDED if before is None else REMOVED))
            continue
        fields = tuple(
            FieldChange(
                label,
                _menu_value(attr, getattr(before, attr)),
                _menu_value(attr, getattr(after, attr)),
            )
            for attr, label in MENU_FIELDS
            if getattr(before, attr) != getattr(after, attr)
        )
        if fields:
            menus.append(MenuChange(name, CHANGED, fields))
        for key in _union(before.options, after.options):
            was, now = before.options.get(key), after.options.get(key)
            if was != now:
                options.append(
                    OptionChange(
                        name,
                        key,
                        None if was is None else describe_action(was),
                        None if now is None else describe_action(now),
                    )
                )
    return tuple(menus), tuple(options)


def _prompts(old: Prompts, new: Prompts, used: set[str]) -> tuple[PromptChange, ...]:
    changes = []
    for pid in _union(new.texts, old.texts):  # in NEW's order, then those removed
        before, after = old.texts.get(pid), new.texts.get(pid)
        hints = before is not None and after is not None and _hints(old, pid) != _hints(new, pid)
        if before != after or hints:
            changes.append(PromptChange(pid, before, after, pid in used, hints))
    return tuple(changes)


def _hints(prompts: Prompts, pid: str) -> dict[str, object]:
    return dict(prompts.hints.get(pid, {}))


def _rebuild_from_changes(prompts: tuple[PromptChange, ...]) -> tuple[Rebuild, ...]:
    """No build to ask: every prompt added or changed since OLD."""
    reasons = {ADDED: "new", CHANGED: "text changed"}
    return tuple(
        Rebuild(
            p.id,
            p.new,
            "voice hints changed" if p.old == p.new else reasons[p.status],
        )
        for p in prompts
        if p.new is not None
    )


def _rebuild_from_build(
    config: Config, stale: Mapping[str, str], changes: Mapping[str, PromptChange]
) -> tuple[Rebuild, ...]:
    """The build knows: what it holds does not match these texts (whatever OLD said)."""
    texts = config.prompts.texts
    result = []
    for pid in texts:
        if pid not in stale:
            continue
        change = changes.get(pid)
        reason = stale[pid]
        if change is not None and change.status == ADDED:
            reason = f"new, {reason}"
        elif change is not None and change.old != change.new:
            reason = f"text changed, {reason}"
        result.append(Rebuild(pid, texts[pid], reason))
    return tuple(result)


def _topics(old: Config, new: Config) -> tuple[TopicChange, ...]:
    changes = []
    for role in _union(old.catalogues, new.catalogues):
        before: dict[str, Topic] = {t.code: t for t in old.catalogues.get(role, ())}
        after: dict[str, Topic] = {t.code: t for t in new.catalogues.get(role, ())}
        for code in _union(before, after):
            was, now = before.get(code), after.get(code)
            if was == now:
                continue
            if was is None or now is None:
                topic = now or was
                assert topic is not None
                changes.append(
                    TopicChange(
                        role.value,
                        code,
                        ADDED if was is None else REMOVED,
                        topic.label,
                        deadline=str(topic.deadline),
                    )
                )
                continue
            changes.append(
                TopicChange(
                    role.value,
                    code,
                    CHANGED,
                    now.label,
                    old_label=was.label if was.label != now.label else None,
                    deadline=str(now.deadline) if was.deadline != now.deadline else None,
                    old_deadline=str(was.deadline) if was.deadline != now.deadline else None,
                    handled_by=_role(now.handled_by) if was.handled_by != now.handled_by else None,
                    old_handled_by=(
                        _role(was.handled_by) if was.handled_by != now.handled_by else None
                    ),
                )
            )
    return tuple(changes)


def _role(role: enum.Enum | None) -> str:
    return "-" if role is None else str(role.value)


#: Config fields compared elsewhere (or not configuration: ``source``).
NOT_SETTINGS = frozenset({"source", "company", "catalogues", "menus", "prompts", "profiles"})
#: The server's settings, which every profile takes from the main config (``profiles``).
SERVER_SETTINGS = frozenset({"database_url", "journal_path", "server_id", "log_file"})
#: Settings whose values are never shown (a database URL may carry a password).
SECRET = frozenset({"database_url"})


def _settings(old: Config, new: Config, server: bool = True) -> tuple[FieldChange, ...]:
    """Everything else, by field name (``operator.queue``): the old and new value when plain,
    else ``(changed)``. A profile's (``server=False``) leaves out the server's settings: the
    main config's, said there."""
    changes: list[FieldChange] = []
    _compare("company", old.company, new.company, changes)
    _compare("prompts.language", old.prompts.language, new.prompts.language, changes)
    sounds = _here(old, old.prompts.sounds_dir), _here(new, new.prompts.sounds_dir)
    _compare("prompts.sounds", *sounds, changes)
    for f in dataclasses.fields(old):
        if f.name not in NOT_SETTINGS and (server or f.name not in SERVER_SETTINGS):
            before, after = _here(old, getattr(old, f.name)), _here(new, getattr(new, f.name))
            _compare(f.name, before, after, changes)
    return tuple(changes)


def _here(config: Config, value: object) -> object:
    """A path as seen from the config file's directory, so that a copy of the same files
    elsewhere (OLD kept aside) has the same paths."""
    if isinstance(value, Path):
        with contextlib.suppress(ValueError):  # another drive (not on POSIX)
            return Path(os.path.relpath(value, config.source.parent))
    return value


def _compare(name: str, old: object, new: object, changes: list[FieldChange]) -> None:
    """``old`` and ``new`` differ: one change, or one per differing field of a record."""
    if old == new:
        return
    record = dataclasses.is_dataclass(old) and not isinstance(old, type | Action)
    if record and type(old) is type(new):
        for f in dataclasses.fields(old):  # type: ignore[arg-type]
            _compare(f"{name}.{f.name}", getattr(old, f.name), getattr(new, f.name), changes)
        return
    if name in SECRET:
        changes.append(FieldChange(name, "(changed)", "(changed)"))
    else:
        changes.append(FieldChange(name, _value(old), _value(new)))


# -- readable forms --------------------------------------------------------------------------


def describe_action(action: Action) -> str:
    """An option's action in one line: its kind, what it needs, its topic last:
    ``menu outages``, ``redirect D11``, ``transfer 0800000312 D7``,
    ``announce prompts=[outage_planned] D1``, ``when_open open=(operator S1) closed=(...)``."""
    parts = [action.kind]
    for f in dataclasses.fields(action):
        value = getattr(action, f.name)
        if f.name in ("topic", "role"):  # the topic last; a redirect's role is its topic's
            continue
        if f.default is not dataclasses.MISSING and value == f.default:
            continue
        if f.name in ("menu", "number"):
            parts.append(_value(value))
        elif f.name == "redirect":
            parts.append(f"to={value}")
        else:
            parts.append(f"{f.name}={_value(value)}")
    if action.topic:
        parts.append(action.topic)
    return " ".join(parts)


def _value(value: object) -> str:
    """A short readable form of a field's value; ``(changed)`` for what has none."""
    simple = _simple(value)
    return "(changed)" if simple is None else simple


def _simple(value: object) -> str | None:
    """The readable form of a plain value (text, number, list of ids, action); None for a
    structure (a mapping, a list of records)."""
    if isinstance(value, Action):
        return f"({describe_action(value)})"
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, str | int | float | Path):
        return str(value)
    if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
        return "[" + ", ".join(value) + "]"
    return None


def shorten(text: str, width: int = TEXT_WIDTH) -> str:
    """A prompt text on one line, cut to ``width`` characters with an ellipsis."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


def _used_prompts(configs: Iterable[Config]) -> set[str]:
    """The prompt ids ``configs`` name: the menus' greetings, retries and options, the
    operator's, the redirects', the directory's, the farewell (not the prompts an action
    speaks by a fixed id)."""
    used: set[str] = set()
    for config in configs:
        for f in dataclasses.fields(config):
            if f.name not in ("prompts", "profiles"):
                _collect(getattr(config, f.name), used, f.name)
    return used


def _collect(value: object, found: set[str], name: str = "") -> None:
    """Prompt ids in ``value``: strings of fields named greeting or ``*prompt*``."""
    if isinstance(value, str):
        if "prompt" in name or name in ("greeting", "short_greeting"):
            found.add(value)
    elif isinstance(value, tuple | list):
        for item in value:
            _collect(item, found, name)
    elif isinstance(value, Mapping):
        for item in value.values():
            _collect(item, found)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            _collect(getattr(value, f.name), found, f.name)


def _union(old: Iterable[Any], new: Iterable[Any]) -> list[Any]:
    """Keys of both, in their order: the first's, then the others of the second."""
    return list(dict.fromkeys((*old, *new)))


# -- the text summary ------------------------------------------------------------------------


def render(diff: ConfigDiff, build_hint: str | None = None) -> list[str]:
    """The summary as lines; ``["no changes"]`` when there are none. ``build_hint``: the
    command that builds the audio, said after the prompts to rebuild."""
    if diff.empty:
        return ["no changes"]
    lines: list[str] = []
    several = len(diff.companies) > 1
    with_prompts = {c.id for c in diff.companies if c.prompts or c.rebuild}
    for company in diff.companies:
        if company.status == ADDED:
            lines.append(f"profile added: {company.id} ({company.source})")
        elif company.status == REMOVED:
            lines.append(f"profile removed: {company.id} ({company.source})")
            continue
        elif company.empty and company.prompts_as not in with_prompts:
            if several:
                lines.append(f"company {company.id}: no changes")
            continue
        elif several:
            lines.append(f"company {company.id} ({company.source}):")
        indent = "  " if several else ""
        lines += [indent + line for line in _company_lines(company, with_prompts)]
    if build_hint and diff.rebuild:
        lines.append(f"then run {build_hint}")
    return lines


def _company_lines(company: CompanyDiff, with_prompts: set[str]) -> list[str]:
    lines = []
    for menu in company.menus:
        if menu.status != CHANGED:
            lines.append(f"menu {menu.status}: {menu.name}")
        for f in menu.fields:
            lines.append(f"menu {menu.name}: {f.name} {f.old} -> {f.new}")
    for option in company.options:
        where = f'{option.menu} "{option.key}"'
        if option.status == ADDED:
            lines.append(f"option added: {where}: {option.new}")
        elif option.status == REMOVED:
            lines.append(f"option removed: {where}: {option.old}")
        else:
            lines.append(f"option changed: {where}: {option.old} -> {option.new}")
    if company.prompts_as in with_prompts:
        lines.append(f"prompts: see company {company.prompts_as} (the same texts)")
    for prompt in company.prompts:
        use = "" if prompt.used else " (the config does not name it)"
        if prompt.status == ADDED:
            lines.append(f'prompt added: {prompt.id} "{shorten(prompt.new or "")}"{use}')
        elif prompt.status == REMOVED:
            lines.append(f'prompt removed: {prompt.id} "{shorten(prompt.old or "")}"')
        elif prompt.old == prompt.new:
            lines.append(f"prompt changed: {prompt.id}: voice hints{use}")
        else:
            lines.append(
                f'prompt changed: {prompt.id} "{shorten(prompt.old or "")}" -> '
                f'"{shorten(prompt.new or "")}"{use}'
            )
    for topic in company.topics:
        lines.append(_topic_line(topic))
    for setting in company.settings:
        if "(changed)" in (setting.old, setting.new):
            lines.append(f"setting changed: {setting.name}")
        else:
            lines.append(f"setting changed: {setting.name}: {setting.old} -> {setting.new}")
    if company.rebuild:
        lines.append(f"audio to rebuild ({len(company.rebuild)}):")
        lines += [f'  {r.id} "{shorten(r.text)}" ({r.reason})' for r in company.rebuild]
    return lines


def _topic_line(topic: TopicChange) -> str:
    where = f"{topic.role} {topic.code}"
    if topic.status == ADDED:
        return f'topic added: {where} "{shorten(topic.label)}" ({topic.deadline})'
    if topic.status == REMOVED:
        return f'topic removed: {where} "{shorten(topic.label)}"'
    what = []
    if topic.old_label is not None:
        what.append(f'relabelled "{shorten(topic.old_label)}" -> "{shorten(topic.label)}"')
    if topic.deadline is not None:
        what.append(f"deadline {topic.old_deadline} -> {topic.deadline}")
    if topic.handled_by is not None:
        what.append(f"handled_by {topic.old_handled_by} -> {topic.handled_by}")
    return f"topic changed: {where}: " + "; ".join(what)
