"""The ``menus`` section: menus, options, default keys, reachability."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from ivr.actions.back import BackAction
from ivr.actions.base import Action, YamlPath
from ivr.actions.operator import OperatorAction
from ivr.actions.registry import OPTION_KEYS, SPECS
from ivr.actions.repeat import RepeatAction
from ivr.config.checks import Checks
from ivr.config.model import Menu, Operator
from ivr.config.schema import (
    FIELD_HINTS,
    KEY_RE,
    MENU,
    MENU_KEYS,
    TIMING_KEYS,
    MenuDefaults,
    did_you_mean,
)


def reachable(entry: str, edges: Mapping[str, Iterable[str]]) -> set[str]:
    """The menus a caller can reach from ``entry``, given the menus each menu's options
    lead to (``edges``)."""
    seen = {entry}
    todo = [entry]
    while todo:
        for target in edges.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


class MenuSection(Checks):
    """Mixin of the loader for the ``menus`` section."""

    # -- menus ---------------------------------------------------------------------------

    def timing(self, path: YamlPath, data: dict[str, Any]) -> dict[str, Any]:
        """Timeouts (as ms), max_failures and the two retry prompts present in ``data``."""
        result: dict[str, Any] = {}
        if "timeout" in data:
            result["timeout"] = self.seconds_ms(
                (*path, "timeout"), data["timeout"], MENU.number("timeout")
            )
        if "inter_digit_timeout" in data:
            result["inter_digit_timeout"] = self.seconds_ms(
                (*path, "inter_digit_timeout"),
                data["inter_digit_timeout"],
                MENU.number("inter_digit_timeout"),
            )
        if "max_failures" in data:
            failures = self.number_of(
                (*path, "max_failures"), data["max_failures"], MENU.number("max_failures")
            )
            result["max_failures"] = None if failures is None else int(failures)
        for key in ("invalid_prompt", "timeout_prompt"):
            if key in data:
                result[key] = self.prompt((*path, key), data[key])
        return {k: v for k, v in result.items() if v is not None}

    def menus(
        self,
        root: dict[str, Any],
        defaults: MenuDefaults,
        operator: Operator | None,
    ) -> tuple[str | None, dict[str, Menu] | None]:
        if "menus" not in root:
            return None, None
        path: YamlPath = ("menus",)
        data = self.mapping(path, root["menus"], what="a mapping of menu name -> menu")
        if data is None:
            return None, None
        if not data:
            self.report(path, "define at least one menu")
            return None, None
        entry = self.entry_menu(root, data)
        edges: dict[str, set[str]] = {}
        menus: dict[str, Menu] = {}
        ok = True
        for name, value in data.items():
            menu_path: YamlPath = (*path, name)
            edges[name] = set()
            if self.name(menu_path, name, "a menu name") is None:
                ok = False
                continue
            menu = self.menu(
                menu_path,
                name,
                value,
                set(data),
                edges[name],
                defaults,
                operator,
                is_entry=name == entry,
            )
            if menu is None:
                ok = False
            else:
                menus[name] = menu
        if entry is not None and not self.broken_menu_refs:
            self.check_reachable(entry, edges)
        return entry, (menus if ok else None)

    def entry_menu(self, root: dict[str, Any], menus: dict[str, Any]) -> str | None:
        if "entry_menu" not in root:
            if "main" in menus:
                return "main"
            self.report(
                ("entry_menu",),
                "no menu is called 'main': set 'entry_menu: <menu name>'",
                line=self.doc.line(("menus",)),
            )
            return None
        entry = self.text(("entry_menu",), root["entry_menu"], "a menu name")
        if entry is not None and entry not in menus:
            self.report(("entry_menu",), f"unknown menu '{entry}'{did_you_mean(entry, menus)}")
            return None
        return entry

    def check_reachable(self, entry: str, edges: dict[str, set[str]]) -> None:
        """An unreachable menu is an error, or a warning where the loader allows it
        (``ivr graph`` draws it)."""
        seen = reachable(entry, edges)
        for name in edges:
            if name not in seen:
                self.report(
                    ("menus", name),
                    f"menu '{name}' is not reachable from the entry menu '{entry}'",
                    "warning" if self.allow_unreachable else "error",
                )

    def menu(
        self,
        path: YamlPath,
        name: str,
        value: Any,
        names: set[str],
        edges: set[str],
        defaults: MenuDefaults,
        operator: Operator | None,
        is_entry: bool,
    ) -> Menu | None:
        data = self.mapping(path, value, MENU_KEYS, ("greeting",))
        if data is None:
            return None
        greeting = (
            self.prompt_list((*path, "greeting"), data["greeting"]) if "greeting" in data else None
        )
        short = greeting
        if "short_greeting" in data:
            short = self.prompt_list((*path, "short_greeting"), data["short_greeting"])
        topic = self.topic((*path, "topic"), data["topic"]) if "topic" in data else None
        timing = self.timing(path, data)
        bad_timing = any(key in data and key not in timing for key in TIMING_KEYS)
        options = (
            self.options((*path, "options"), data.get("options"), names, edges)
            if "options" in data
            else {}
        )
        if options == {}:
            where = (*path, "options") if "options" in data else path
            self.warn(where, "menu has no options of its own (only the default keys)")
        if (
            greeting is None
            or short is None
            or options is None
            or bad_timing
            or ("topic" in data and topic is None)
        ):
            return None
        merged = dict(options)
        added: set[str] = set()
        keys = defaults.keys
        fallback_topic = topic or (operator.topic if operator else None)
        extra: tuple[tuple[str, Action | None], ...] = (
            ("operator", OperatorAction(topic=fallback_topic)),
            ("repeat", RepeatAction()),
            ("back", None if is_entry else BackAction()),
        )
        for role, action in extra:
            key = keys.get(role)
            if key is not None and action is not None and key not in merged:
                merged[key] = action
                added.add(key)
        invalid = timing.get("invalid_prompt", defaults.invalid_prompt)
        timeout_prompt = timing.get("timeout_prompt", defaults.timeout_prompt)
        if invalid is None or timeout_prompt is None:
            return None
        return Menu(
            name=name,
            greeting=greeting,
            short_greeting=short,
            options=merged,
            timeout_ms=timing.get("timeout", defaults.timeout_ms),
            inter_digit_timeout_ms=timing.get(
                "inter_digit_timeout", defaults.inter_digit_timeout_ms
            ),
            max_failures=timing.get("max_failures", defaults.max_failures),
            invalid_prompt=invalid,
            timeout_prompt=timeout_prompt,
            topic=topic,
            default_keys=frozenset(added),
        )

    def options(
        self,
        path: YamlPath,
        value: Any,
        names: set[str],
        edges: set[str],
    ) -> dict[str, Action] | None:
        data = self.mapping(path, value, what="a mapping of keypad key -> action")
        if data is None:
            return None
        result: dict[str, Action] = {}
        ok = True
        for key, option in data.items():
            option_path: YamlPath = (*path, key)
            if not self.option_key(option_path, key):
                ok = False
                continue
            action = self.option(option_path, option, names, edges)
            if action is None:
                ok = False
            else:
                result[key] = action
        # A multi-key option whose first key is also an option ("1" and "12") is fine: the
        # engine waits inter_digit_timeout for the next key before choosing "1".
        return result if ok else None

    def option_key(self, path: YamlPath, key: str) -> bool:
        if path in self.doc.plain_keys:
            read_as = self.doc.plain_keys[path]
            single_digit = (
                isinstance(read_as, int)
                and not isinstance(read_as, bool)
                and key == str(read_as)
                and len(key) == 1
            )
            if not single_digit:
                self.report(
                    path, f'unquoted key {key} is read by YAML as {read_as!r}; quote it: "{key}"'
                )
                return False
        if not KEY_RE.match(key):
            self.report(path, f"'{key}' is not a keypad key: use 1 to 3 of 0-9, * and #")
            return False
        return True

    def option(
        self,
        path: YamlPath,
        value: Any,
        names: set[str],
        edges: set[str],
    ) -> Action | None:
        """One option: the keys every action shares here, the rest by the action's parser."""
        data = self.mapping(
            path, value, OPTION_KEYS, ("action",), "a mapping such as {action: menu, menu: outages}"
        )
        if data is None:
            return None
        target = data.get("menu")
        if isinstance(target, str) and target in names:  # reachability, even if this is bad
            edges.add(target)
        if "action" not in data:
            return None
        kinds = list(SPECS)
        raw = self.text((*path, "action"), data["action"], "an action name")
        if raw is None:
            return None
        spec = SPECS.get(raw)
        if spec is None:
            self.report(
                (*path, "action"),
                f"unknown action '{raw}': use one of {', '.join(kinds)}{did_you_mean(raw, kinds)}",
            )
            return None
        used = spec.required + spec.optional
        for key in data:
            if key != "action" and key in OPTION_KEYS and key not in used:
                uses = ", ".join(("action", *used))
                self.warn((*path, key), f"'{key}' is not used by action '{raw}' (it uses {uses})")
        if "menu" in spec.required and "menu" not in data:
            self.broken_menu_refs = True
        missing = [key for key in spec.required if key not in data]
        for key in missing:
            self.report(
                path, f"missing required key '{key}': action '{raw}' needs {FIELD_HINTS[key]}"
            )
        topic = None
        if "topic" in data and "topic" in used:
            topic = self.topic((*path, "topic"), data["topic"])
        if missing:
            return None
        self.menu_names, self.menu_edges = names, edges
        action = spec.parse(self, path, {k: v for k, v in data.items() if k in used})
        if action is None or ("topic" in data and "topic" in used and topic is None):
            return None
        assert not spec.needs_topic or topic
        return dataclasses.replace(action, topic=topic) if topic else action

    def sub_option(self, path: YamlPath, value: Any) -> Action | None:
        """An option inside an option (``when_open``'s branches), checked like any other."""
        return self.option(path, value, self.menu_names, self.menu_edges)

    def menu_ref(self, path: YamlPath, value: Any) -> str | None:
        """A menu name an option points at (``action: menu``); counted for reachability."""
        target = self.text(path, value, "a menu name")
        if target is not None and target not in self.menu_names:
            self.report(path, f"unknown menu '{target}'{did_you_mean(target, self.menu_names)}")
            target = None
        if target is None:
            self.broken_menu_refs = True
        else:
            self.menu_edges.add(target)
        return target

    def choice(self, path: YamlPath, value: Any, choices: tuple[str, ...], hint: str) -> str | None:
        """One of ``choices``; ``hint`` follows the first one in the message
        ("use 'menu' (back to the menu) or 'hangup'")."""
        text = self.text(path, value, " or ".join(f"'{c}'" for c in choices))
        if text is not None and text not in choices:
            first, *rest = choices
            others = " or ".join(f"'{c}'" for c in rest)
            self.report(
                path,
                f"unknown value '{text}': use '{first}' {hint} {others}"
                f"{did_you_mean(text, choices)}",
            )
            return None
        return text

    def redirect_ref(self, path: YamlPath, value: Any) -> str | None:
        name = self.text(path, value, "a redirect name")
        if name is None or self.redirect_names is None:
            return name
        self.used_redirects.add(name)
        if name not in self.redirect_names:
            if self.redirect_names:
                hint = did_you_mean(name, self.redirect_names)
                self.report(path, f"unknown redirect '{name}'{hint}")
            else:
                self.report(path, f"unknown redirect '{name}': no redirects are defined")
            return None
        return name
