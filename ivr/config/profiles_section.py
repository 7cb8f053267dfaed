"""The ``profiles`` section: the other companies one server answers for.

``profiles: [FILE, ...]`` lists configuration files of the same schema, each a company of
its own (menus, prompts, catalogue, schedule, queues, directory). The dialled number picks
the company of a call; a number no company claims goes to the main configuration's. What
belongs to the server (``SERVER_KEYS``: the database, the journal, the server id, the log)
is set in the main file only and used by every profile's calls.

Each profile file is validated by a loader of its own, whose problems name that file; this
mixin adds what only the set of them can tell: a company id or a dialled number claimed
twice, a file listed twice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ivr.config.checks import Checks
from ivr.config.model import Config, dialled_key
from ivr.config.problems import Problem
from ivr.config.schema import DEFAULT_COMPANY_ID, SERVER_KEYS
from ivr.config.yamlmap import YamlPath


@dataclasses.dataclass
class _Claim:
    """Who claimed a company id or a dialled number first: for the second's message."""

    file: str
    line: int | None
    company: str

    def where(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


class ProfilesSection(Checks):
    """Mixin of the loader for ``profiles`` (in the main file) and for what a profile file
    may not set."""

    path: Path
    require_audio: bool
    #: the main configuration's file when this file is loaded as one of its profiles
    profile_of: Path | None
    #: the whole validation run of one file (the loader's)
    run: Callable[[], tuple[list[Problem], Config | None]]

    def refuse_server_keys(self, root: dict[str, Any]) -> None:
        """In a profile file: the server's keys are errors (their value would be ignored)."""
        if self.profile_of is None:
            return
        for key in SERVER_KEYS:
            if key in root:
                self.report(
                    (key,),
                    f"'{key}' belongs to the server: this file is a profile of "
                    f"{self.profile_of}, whose '{key}' every company's calls use; remove it here",
                )

    def load_profiles(self, root: dict[str, Any]) -> list[Config] | None:
        """The profile files' configurations (each validated, its problems added to this
        run's); None when any of them is unusable."""
        if "profiles" not in root or self.profile_of is not None:
            return []
        path: YamlPath = ("profiles",)
        value = root["profiles"]
        if not isinstance(value, list):
            self.report(
                path,
                "expected a list of configuration files, one per other company "
                "(e.g. [supplier.yaml])",
                line=self.doc.value_line(path),
            )
            return None
        seen: dict[Path, int] = {self.path.resolve(): -1}
        loaders: list[ProfilesSection] = []
        ok = True
        for i, item in enumerate(value):
            name = self.text((*path, i), item, "the path of a profile's configuration file")
            if name is None:
                ok = False
                continue
            file = self.path.parent / name
            resolved = file.resolve()
            if resolved in seen:
                first = seen[resolved]
                self.report(
                    (*path, i),
                    "this is the main configuration itself"
                    if first < 0
                    else f"'{name}' is listed twice (first at profiles[{first}])",
                )
                ok = False
                continue
            seen[resolved] = i
            if not file.is_file():
                self.report((*path, i), f"profile configuration '{file}' not found")
                ok = False
                continue
            loaders.append(self.profile_loader(file))
        configs: list[Config] = []
        own_zone = self.zone_of(self)
        for loader in loaders:
            _problems, config = loader.run()
            if config is not None:
                configs.append(config)
            zone = self.zone_of(loader)
            if own_zone is not None and zone is not None and zone != own_zone:
                loader.report(
                    ("company", "timezone"),
                    f"'{zone}' is not the main config's timezone '{own_zone}': the appeal "
                    "numbers of one server count their days in one timezone",
                )
        self.claims_unique(loaders)
        for loader in loaders:  # what the checks above added too
            self.problems.extend(loader.problems)
            if any(p.is_error for p in loader.problems):
                ok = False
        return configs if ok else None

    @staticmethod
    def zone_of(loader: Checks) -> str | None:
        """The timezone a loaded file's company declared (its default when it says none)."""
        data = loader.doc.data if isinstance(loader.doc.data, dict) else {}
        company = data.get("company")
        if not isinstance(company, dict):
            return None
        zone = company.get("timezone", "Europe/Kyiv")
        if not isinstance(zone, str):
            return None
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):  # its own error says so
            return None
        return zone

    def profile_loader(self, file: Path) -> ProfilesSection:
        loader = type(self)(file, self.require_audio)  # type: ignore[call-arg]
        loader.profile_of = self.path
        loader.allow_unreachable = self.allow_unreachable
        return loader

    def claims_unique(self, loaders: list[ProfilesSection]) -> bool:
        """Every company id and every dialled number belongs to one company only."""
        ids: dict[str, _Claim] = {}
        numbers: dict[str, _Claim] = {}
        ok = True
        for loader in (self, *loaders):
            data = loader.doc.data if isinstance(loader.doc.data, dict) else {}
            company = data.get("company")
            if not isinstance(company, dict):
                continue
            company_id = company.get("id", DEFAULT_COMPANY_ID)
            id_path: YamlPath = ("company", "id") if "id" in company else ("company",)
            if isinstance(company_id, str):
                first = ids.get(company_id)
                if first is not None:
                    loader.report(
                        id_path,
                        f"company id '{company_id}' is already the id of the company in "
                        f"{first.where()}: give every profile its own company.id",
                    )
                    ok = False
                else:
                    ids[company_id] = _Claim(loader.file, loader.doc.line(id_path), company_id)
            dialled = company.get("dialled_numbers")
            for j, number in enumerate(dialled if isinstance(dialled, list) else []):
                if not isinstance(number, str):
                    continue
                number_path: YamlPath = ("company", "dialled_numbers", j)
                key = dialled_key(number)
                first = numbers.get(key)
                if first is not None and first.file != loader.file:
                    loader.report(
                        number_path,
                        f"'{number}' is already a number of company '{first.company}' "
                        f"({first.where()}): a dialled number selects one company",
                    )
                    ok = False
                elif first is None:
                    numbers[key] = _Claim(
                        loader.file, loader.doc.line(number_path), str(company_id)
                    )
        return ok

    def with_profiles(self, config: Config, profiles: list[Config]) -> Config:
        """``config`` with its profiles, each given the server's settings of ``config``."""
        return dataclasses.replace(
            config,
            profiles={
                p.company.id: dataclasses.replace(
                    p,
                    database_url=config.database_url,
                    journal_path=config.journal_path,
                    server_id=config.server_id,
                    log_file=config.log_file,
                )
                for p in profiles
            },
        )
