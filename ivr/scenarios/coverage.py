"""Menu coverage: which parts of each company's menus no scenario exercised.

The parts, with the ids ``ivr graph`` gives them (so a picture can highlight them):

* ``menu:<menu>``: the caller was in the menu;
* ``option:<menu>:<key>``: chose the option (the default keys merged into the menu included);
  a ``when_open`` option also ``option:<menu>:<key>:open`` and ``...:closed``;
* ``fallback:<menu>:timeout`` / ``:invalid`` / ``:max_failures``: no key in time, a key the
  menu does not have, and the operator after ``max_failures`` of them;
* ``outcome:<menu>:<key>:<event>``: an outcome the option's action notes in the call's path
  (its spec's ``events``: identified by caller ID, not identified, old data, ...).

What a call covered is read from its record's path as the database holds it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ivr.actions.registry import SPECS
from ivr.actions.when_open import WhenOpenAction
from ivr.config.model import Config

FALLBACKS = ("timeout", "invalid", "max_failures")
BRANCHES = ("open", "closed")
KINDS = ("menu", "option", "fallback", "outcome")


def parts_of(config: Config) -> list[str]:
    """Every part of one company's menus, in menu order."""
    parts: list[str] = []
    for name, menu in config.menus.items():
        parts.append(f"menu:{name}")
        for key, action in menu.options.items():
            parts.append(f"option:{name}:{key}")
            if isinstance(action, WhenOpenAction):
                parts += [f"option:{name}:{key}:{branch}" for branch in BRANCHES]
            spec = SPECS.get(action.kind)
            for event in spec.events if spec else ():
                parts.append(f"outcome:{name}:{key}:{event}")
        parts += [f"fallback:{name}:{kind}" for kind in FALLBACKS]
    return parts


def covered_by(config: Config, path: Iterable[dict[str, str]]) -> set[str]:
    """The parts of ``config`` one call's path went through."""
    covered: set[str] = set()
    last: tuple[str, str] | None = None  # the option whose action is running
    for step in path:
        name = step.get("menu", "")
        menu = config.menus.get(name)
        if menu is None:
            continue
        covered.add(f"menu:{name}")
        key, action, event = step.get("key", ""), step.get("action", ""), step.get("event", "")
        option = menu.options.get(key) if key else None
        if option is not None and action and option.kind == action and not event:
            covered.add(f"option:{name}:{key}")
            last = (name, key)
        elif event in FALLBACKS:
            covered.add(f"fallback:{name}:{event}")
        elif event in BRANCHES and last is not None:
            covered.add(f"option:{last[0]}:{last[1]}:{event}")
        elif event and last is not None:
            covered.add(f"outcome:{last[0]}:{last[1]}:{event}")
    return covered


@dataclass
class Coverage:
    """The parts of each company (by ``company.id``) and those the scenarios covered."""

    parts: dict[str, list[str]] = field(default_factory=dict)
    covered: dict[str, set[str]] = field(default_factory=dict)

    def add_config(self, config: Config) -> None:
        for company in config.companies:
            self.parts.setdefault(company.company.id, parts_of(company))
            self.covered.setdefault(company.company.id, set())

    def add_call(self, config: Config, path: Iterable[dict[str, str]]) -> None:
        self.covered.setdefault(config.company.id, set()).update(covered_by(config, path))

    def missing(self, company: str) -> list[str]:
        done = self.covered.get(company, set())
        return [p for p in self.parts.get(company, []) if p not in done]

    def counts(self, company: str, kind: str) -> tuple[int, int]:
        """(covered, all) parts of one kind."""
        parts = [p for p in self.parts.get(company, []) if p.split(":", 1)[0] == kind]
        done = self.covered.get(company, set())
        return sum(p in done for p in parts), len(parts)

    def complete(self, kinds: Iterable[str] = ("menu", "option", "fallback")) -> bool:
        return all(
            self.counts(company, kind)[0] == self.counts(company, kind)[1]
            for company in self.parts
            for kind in kinds
        )

    def table(self) -> list[str]:
        lines = ["coverage:", f"  {'company':<16} {'kind':<9} {'covered':>9}  {'share':>6}"]
        for company in self.parts:
            for kind in KINDS:
                done, total = self.counts(company, kind)
                if total:
                    share = f"{100 * done / total:.0f} %"
                    lines.append(f"  {company:<16} {kind:<9} {done:>4}/{total:<4}  {share:>6}")
        for company in self.parts:
            missing = self.missing(company)
            if missing:
                lines.append(f"  not exercised ({company}):")
                lines += [f"    {part}" for part in missing]
        return lines
