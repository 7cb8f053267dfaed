"""Typed getters for config values: each reports a problem and returns None when wrong."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ivr.config.kinds import Number
from ivr.config.model import Role, Topic
from ivr.config.problems import Problem, Severity, dotted
from ivr.config.schema import (
    KEY_RE,
    NAME_RE,
    PHONE_RE,
    describe,
    did_you_mean,
)
from ivr.config.yamlmap import YamlDoc, YamlPath

if TYPE_CHECKING:
    from ivr.audio.playable import AudioCatalogue


class Checks:
    """Base of the loader and its section mixins: problem reporting and typed,
    reference-checking getters.

    The loader's state is declared here and set in ``_Loader.__init__``.
    """

    path: Path
    file: str
    doc: YamlDoc
    problems: list[Problem]
    require_audio: bool
    built_audio: AudioCatalogue | None  # the audio build, read when the audio is required
    role: Role | None
    catalogues: dict[Role, tuple[Topic, ...]]
    catalogues_ok: bool
    prompt_file: Any  # the loader's _PromptFile
    redirect_names: set[str] | None
    used_redirects: set[str]
    broken_menu_refs: bool
    #: an unreachable menu is a warning, not an error (``ivr graph`` draws it)
    allow_unreachable: bool
    has_misrouted: bool  # the config has a misrouted section
    menu_names: set[str]  # the menus an option may point at (set while reading options)
    menu_edges: set[str]  # the menus the current menu's options point at

    def misrouted_role(self, path: YamlPath, topic: str | None) -> str | None:
        """The role a directory redirect sends callers to (``DirectorySection``)."""
        raise NotImplementedError

    # -- reporting -----------------------------------------------------------------------

    def report(
        self, path: YamlPath, message: str, severity: Severity = "error", line: int | None = None
    ) -> None:
        where = line if line is not None else self.doc.line(path)
        self.problems.append(Problem(self.file, where, dotted(path), message, severity))

    def warn(self, path: YamlPath, message: str) -> None:
        self.report(path, message, "warning")

    # -- typed getters (report and return None on a wrong value) -------------------------

    def mapping(
        self,
        path: YamlPath,
        value: Any,
        known: Iterable[str] | None = None,
        required: Iterable[str] = (),
        what: str = "a mapping",
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.report(
                path, f"expected {what}, got {describe(value)}", line=self.doc.value_line(path)
            )
            return None
        if known is not None:
            known = tuple(known)
            for key in value:
                if key not in known:
                    self.report((*path, key), f"unknown key '{key}'{did_you_mean(key, known)}")
        for key in required:
            if key not in value:
                self.report(path, f"missing required key '{key}'")
        return value

    def text(self, path: YamlPath, value: Any, what: str = "text") -> str | None:
        if not isinstance(value, str):
            self.report(path, f"expected {what}, got {describe(value)}")
            return None
        if not value.strip():
            self.report(path, f"expected {what}, got empty text")
            return None
        return value.strip()

    def name(self, path: YamlPath, value: Any, what: str) -> str | None:
        result = self.text(path, value, what)
        if result is not None and not NAME_RE.match(result):
            self.report(path, f"{what} '{result}' may contain only letters, digits, '_' and '-'")
            return None
        return result

    def number(
        self, path: YamlPath, value: Any, bounds: tuple[int, int], unit: str, integer: bool = False
    ) -> float | None:
        low, high = bounds
        wanted = "a whole number" if integer else "a number"
        wanted += f" of{unit}" if unit else ""
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (integer and not isinstance(value, int))
        ):
            self.report(path, f"expected {wanted}, got {describe(value)}")
            return None
        if not low <= value <= high:
            self.report(path, f"{value} is out of range: use {low} to {high}{unit}")
            return None
        return value

    def number_of(self, path: YamlPath, value: Any, kind: Number) -> float | None:
        """A number as its declaration (``ivr.config.schema``) says: range, unit, whole."""
        return self.number(path, value, kind.bounds, kind.unit, integer=kind.integer)

    def seconds_ms(self, path: YamlPath, value: Any, kind: Number) -> int | None:
        seconds = self.number_of(path, value, kind)
        return None if seconds is None else round(seconds * 1000)

    def phone(self, path: YamlPath, value: Any) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            self.report(
                path,
                f"expected a phone number in quotes, got {describe(value)} "
                "(YAML drops leading zeros of unquoted numbers)",
            )
            return None
        number = self.text(path, value, "a phone number")
        if number is not None and not PHONE_RE.match(number):
            self.report(
                path,
                f"'{number}' is not a phone number: use digits only, optionally with a leading '+'",
            )
            return None
        return number

    def keypad_key(self, path: YamlPath, value: Any) -> str | None:
        """A key bound in ``defaults.keys`` or ``transfer_key``."""
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 9:
            value = str(value)
        key = self.text(path, value, 'a keypad key in quotes, e.g. "0"')
        if key is not None and not KEY_RE.match(key):
            self.report(path, f"'{key}' is not a keypad key: use 1 to 3 of 0-9, * and #")
            return None
        return key

    def prompts_exist(self, path: YamlPath, ids: tuple[str, ...], user: str) -> bool:
        """The prompts an action speaks by fixed id (``user`` names the action): each must have
        its text (and, when required, its audio); one problem per missing id, at ``path``."""
        ok = True
        for prompt_id in ids:
            problems = len(self.problems)
            if self.prompt(path, prompt_id) is None or len(self.problems) > problems:
                ok = False
                last = self.problems[-1]
                self.problems[-1] = dataclasses.replace(
                    last, message=f"action '{user}' speaks it: {last.message}"
                )
        return ok

    def prompt(self, path: YamlPath, value: Any) -> str | None:
        prompt_id = self.name(path, value, "a prompt id")
        texts = self.prompt_file.texts
        if prompt_id is None or texts is None:
            return prompt_id
        if prompt_id in self.prompt_file.empty:
            line = self.prompt_file.empty[prompt_id]
            self.report(
                path, f"prompt '{prompt_id}' has no text (see {self.prompt_file.display}:{line})"
            )
            return None
        if prompt_id not in texts:
            hint = did_you_mean(prompt_id, texts)
            self.report(
                path, f"unknown prompt '{prompt_id}' (no text in {self.prompt_file.display}){hint}"
            )
            return None
        if self.built_audio is not None and not self.built_audio.playable(prompt_id):
            self.report(
                path,
                f"prompt '{prompt_id}' has no built audio: run "
                f"'ivr prompts build --config {self.file}'",
            )
        return prompt_id

    def prompt_list(
        self,
        path: YamlPath,
        value: Any,
        allow_empty: bool = False,
    ) -> tuple[str, ...] | None:
        if not isinstance(value, list):
            self.report(
                path, f"expected a list of prompt ids, e.g. [welcome], got {describe(value)}"
            )
            return None
        if not value and not allow_empty:
            self.report(path, "expected at least one prompt id")
            return None
        ids = [self.prompt((*path, i), item) for i, item in enumerate(value)]
        return None if None in ids else tuple(i for i in ids if i is not None)

    def topic(self, path: YamlPath, value: Any) -> str | None:
        code = self.text(path, value, "a topic code")
        if code is None or self.role is None or not self.catalogues_ok:
            return code
        active = [t.code for t in self.catalogues.get(self.role, ())]
        if code in active:
            return code
        for role, topics in self.catalogues.items():
            if role is not self.role and code in {t.code for t in topics}:
                hint = did_you_mean(code, active)
                self.report(
                    path,
                    f"topic '{code}' is from the {role.value} catalogue; this "
                    f"company's role is {self.role.value}{hint}",
                )
                return None
        self.report(
            path,
            f"unknown topic '{code}' (not in the {self.role.value} catalogue)"
            f"{did_you_mean(code, active)}",
        )
        return None
