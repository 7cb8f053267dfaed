"""The ``directory`` file config.yaml refers to: the companies misrouted callers are sent to,
validated like the config (problems carry the directory file's name and lines)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ivr.config.checks import Checks
from ivr.config.directory import CompanyRole, Directory, DirectoryEntry, Hours, Misrouted
from ivr.config.problems import Problem
from ivr.config.regions import REGIONS
from ivr.config.schema import (
    DAYS,
    ENTRY_KEYS,
    ENTRY_REQUIRED,
    HOURS_RE,
    MISROUTED_KEYS,
    MISROUTED_REQUIRED,
    REGION_KEY_RE,
    REGIONS_KEYS,
    describe,
    did_you_mean,
)
from ivr.config.yamlmap import YamlDoc, YamlPath, load_yaml_file

#: what a redirect with the directory says, by fixed prompt id
MISROUTED_PROMPTS = (
    "misrouted_supplier",
    "misrouted_universal",
    "misrouted_dso",
    "misrouted_number",
    "misrouted_nobody",
)


class DirectorySection(Checks):
    """Mixin of the loader for ``directory: FILE`` (relative to the config's directory) and
    ``misrouted`` (how a redirect uses it)."""

    def misrouted(self, root: dict[str, Any], directory: Directory | None) -> Misrouted | None:
        """``misrouted: {offer_prompt, transfer_key, regions: {prompt, keys}, national_number}``."""
        if "misrouted" not in root:
            return None
        path: YamlPath = ("misrouted",)
        data = self.mapping(path, root["misrouted"], MISROUTED_KEYS, MISROUTED_REQUIRED)
        if data is None or "offer_prompt" not in data:
            return None
        if "directory" not in root:
            self.report(path, "misrouted callers need the companies: add 'directory: FILE'")
        offer = self.prompt((*path, "offer_prompt"), data["offer_prompt"])
        key: str | None = "1"
        if "transfer_key" in data:
            key = self.keypad_key((*path, "transfer_key"), data["transfer_key"])
        national = (
            self.phone((*path, "national_number"), data["national_number"])
            if "national_number" in data
            else None
        )
        prompt: str | None = None
        regions: dict[str, str] = {}
        if "regions" in data:
            picked = self._region_keys((*path, "regions"), data["regions"], directory)
            if picked is None:
                return None
            prompt, regions = picked
        if offer is None or key is None or ("national_number" in data and national is None):
            return None
        return Misrouted(offer, key, prompt, regions, national)

    def _region_keys(
        self, path: YamlPath, value: Any, directory: Directory | None
    ) -> tuple[str, dict[str, str]] | None:
        data = self.mapping(path, value, REGIONS_KEYS, REGIONS_KEYS)
        if data is None or any(key not in data for key in REGIONS_KEYS):
            return None
        prompt = self.prompt((*path, "prompt"), data["prompt"])
        keys = self.mapping((*path, "keys"), data["keys"], what="a mapping of key -> region id")
        if prompt is None or keys is None:
            return None
        result: dict[str, str] = {}
        for raw, region_value in keys.items():
            key = str(raw)
            if not REGION_KEY_RE.match(key):
                self.report((*path, "keys", raw), f"'{key}' is not one of the keys 1 to 9")
                continue
            region = self.regions_ref((*path, "keys", raw), region_value)
            served = directory is None or any(region in e.regions for e in directory.entries)
            if region is not None and not served:
                self.warn((*path, "keys", raw), f"no company in the directory serves {region}")
            if region is not None:
                result[key] = region
        return (prompt, result) if len(result) == len(keys) else None

    def misrouted_role(self, path: YamlPath, topic: str | None) -> str | None:
        """The role a redirect with the directory sends callers to: its topic's ``handled_by``,
        which must be the other company's."""
        if not self.prompts_exist((*path, "action"), MISROUTED_PROMPTS, "redirect"):
            return None
        if not self.has_misrouted:
            self.report(
                (*path, "action"),
                "a redirect without 'to' finds the company in the directory: add the "
                "'misrouted' section (or name a redirect with 'to')",
            )
            return None
        if topic is None or self.role is None or not self.catalogues_ok:
            return None
        found = next((t for t in self.catalogues[self.role] if t.code == topic), None)
        if found is None:
            return None
        if found.handled_by is None or found.handled_by is self.role:
            self.report(
                (*path, "topic"),
                f"topic '{topic}' is this company's business (handled_by: {self.role.value}); "
                "a redirect needs a topic handled by the other role",
            )
            return None
        return found.handled_by.value

    def directory(self, root: dict[str, Any]) -> Directory | None:
        if "directory" not in root:
            return Directory()
        name = self.text(("directory",), root["directory"], "the path of the directory file")
        if name is None:
            return None
        file = Path(os.path.normpath(self.path.parent / name))  # as other files name it
        if not file.is_file():
            self.report(("directory",), f"directory file '{file}' not found")
            return None
        doc = load_yaml_file(file)
        self.problems.extend(doc.problems)
        if doc.data is None:
            if not doc.problems:
                self.problems.append(Problem(str(file), None, "", "the file is empty"))
            return None
        with self._reading(str(file), doc):
            return self._companies(doc.data)

    @contextmanager
    def _reading(self, file: str, doc: YamlDoc) -> Iterator[None]:
        """Report the getters' problems against another file while it is read."""
        saved = self.file, self.doc
        self.file, self.doc = file, doc
        try:
            yield
        finally:
            self.file, self.doc = saved

    def _companies(self, data: Any) -> Directory | None:
        root = self.mapping((), data, ("companies",), ("companies",), "a mapping with companies")
        if root is None or "companies" not in root:
            return None
        path: YamlPath = ("companies",)
        value = root["companies"]
        if not isinstance(value, list):
            self.report(path, f"expected a list of companies, got {describe(value)}")
            return None
        entries: list[DirectoryEntry] = []
        first_line: dict[str, int | None] = {}
        ok = True
        for i, item in enumerate(value):
            entry = self._entry((*path, i), item)
            if entry is not None and entry.id in first_line:
                self.report(
                    (*path, i, "id"),
                    f"duplicate company id '{entry.id}' (first at line {first_line[entry.id]})",
                )
                entry = None
            if entry is None:
                ok = False
                continue
            first_line[entry.id] = self.doc.line((*path, i, "id"))
            entries.append(entry)
        return Directory.of(tuple(entries)) if ok else None

    def _entry(self, path: YamlPath, value: Any) -> DirectoryEntry | None:
        data = self.mapping(path, value, ENTRY_KEYS, ENTRY_REQUIRED, "a company mapping")
        if data is None or any(key not in data for key in ENTRY_REQUIRED):
            return None
        ident = self.name((*path, "id"), data["id"], "a company id")
        name = self.text((*path, "name"), data["name"], "the company name")
        role = self._role((*path, "role"), data["role"])
        regions = self._regions((*path, "regions"), data["regions"])
        settlements = self._texts((*path, "settlements"), data.get("settlements", []))
        number = self.phone((*path, "number"), data["number"])
        alternatives = self._phones((*path, "alternatives"), data.get("alternatives", []))
        name_prompt = self.prompt((*path, "name_prompt"), data["name_prompt"])
        info = (
            self.prompt((*path, "info_prompt"), data["info_prompt"])
            if "info_prompt" in data
            else None
        )
        email = self._email((*path, "email"), data["email"]) if "email" in data else None
        website = (
            self.text((*path, "website"), data["website"], "a web address")
            if "website" in data
            else None
        )
        hours = self._hours((*path, "hours"), data["hours"]) if "hours" in data else None
        parts = (ident, name, role, regions, settlements, number, alternatives, name_prompt)
        if None in parts or ("info_prompt" in data and info is None):
            return None
        assert ident and name and role and regions and number and name_prompt
        assert settlements is not None and alternatives is not None
        return DirectoryEntry(
            id=ident,
            name=name,
            role=role,
            regions=regions,
            settlements=settlements,
            number=number,
            name_prompt=name_prompt,
            alternatives=alternatives,
            email=email,
            website=website,
            hours=hours,
            info_prompt=info,
        )

    def _role(self, path: YamlPath, value: Any) -> CompanyRole | None:
        roles = [r.value for r in CompanyRole]
        raw = self.text(path, value, "a company role")
        if raw is not None and raw not in roles:
            self.report(
                path,
                f"unknown role '{raw}': use {', '.join(roles)}{did_you_mean(raw, roles)}",
            )
            return None
        return None if raw is None else CompanyRole(raw)

    def _regions(self, path: YamlPath, value: Any) -> tuple[str, ...] | None:
        if not isinstance(value, list) or not value:
            self.report(
                path, f"expected a list of region ids, e.g. [kyivska], got {describe(value)}"
            )
            return None
        result: list[str] = []
        for i, item in enumerate(value):
            region = self.text((*path, i), item, "a region id")
            if region is not None and region not in REGIONS:
                self.report(
                    (*path, i),
                    f"unknown region '{region}' (ids such as kyivska, lvivska, kyiv)"
                    f"{did_you_mean(region, REGIONS)}",
                )
                region = None
            if region is None:
                return None
            result.append(region)
        return tuple(result)

    def regions_ref(self, path: YamlPath, value: Any) -> str | None:
        """A region id named in config.yaml."""
        region = self.text(path, value, "a region id")
        if region is not None and region not in REGIONS:
            self.report(path, f"unknown region '{region}'{did_you_mean(region, REGIONS)}")
            return None
        return region

    def _texts(self, path: YamlPath, value: Any) -> tuple[str, ...] | None:
        if not isinstance(value, list):
            self.report(path, f"expected a list of settlement names, got {describe(value)}")
            return None
        items = [self.text((*path, i), item, "a settlement name") for i, item in enumerate(value)]
        return None if None in items else tuple(i for i in items if i is not None)

    def _phones(self, path: YamlPath, value: Any) -> tuple[str, ...] | None:
        if not isinstance(value, list):
            self.report(path, f"expected a list of phone numbers, got {describe(value)}")
            return None
        numbers = [self.phone((*path, i), item) for i, item in enumerate(value)]
        return None if None in numbers else tuple(n for n in numbers if n is not None)

    def _email(self, path: YamlPath, value: Any) -> str | None:
        email = self.text(path, value, "an e-mail address")
        if email is not None and (email.count("@") != 1 or "." not in email.split("@")[1]):
            self.report(path, f"'{email}' is not an e-mail address")
        return email

    def _hours(self, path: YamlPath, value: Any) -> Hours | None:
        """A text (``always``, "пн-пт 8:00-20:00") or ``{mon-fri: "08:00-20:00", ...}``,
        kept as written."""
        if isinstance(value, str) and value.strip():
            return value.strip()
        if not isinstance(value, dict):
            self.report(path, f"expected a text or weekly hours, got {describe(value)}")
            return None
        result: dict[str, str | tuple[str, ...]] = {}
        for days, spans in value.items():
            first, _, last = str(days).partition("-")
            if first not in DAYS or (last and last not in DAYS):
                self.report((*path, days), f"'{days}' is not a day or range such as mon-fri")
                continue
            listed = spans if isinstance(spans, list) else [spans]
            if not all(isinstance(s, str) and HOURS_RE.match(s) for s in listed):
                self.report(
                    (*path, days), f'expected hours such as "08:00-20:00", got {describe(spans)}'
                )
                continue
            result[str(days)] = tuple(listed) if isinstance(spans, list) else spans
        return result
