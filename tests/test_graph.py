"""``ivr graph``: the menu tree as Mermaid, DOT, SVG and PNG.

What a diagram must show is read from the loaded ``Config`` (its menus and options), never
from the graph model, so a renderer that drops or misroutes an option fails here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import ROOT, SHIPPED_CONFIG, SUPPLIER_CONFIG
from test_config import make_config

from ivr.actions.menu import MenuAction
from ivr.actions.when_open import WhenOpenAction
from ivr.cli import main
from ivr.config import Config, load_config
from ivr.config.loader import check_file
from ivr.graph.dot import render_dot
from ivr.graph.graphviz import run_dot
from ivr.graph.mermaid import mermaid_id, render_mermaid
from ivr.graph.model import build_graph, shorten

HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(
    not HAVE_DOT and not os.environ.get("CI"),
    reason="Graphviz is not installed (apt-get install -y graphviz); CI always runs these",
)

#: every id the graph may have (the scheme documented in ivr.graph)
ID_RE = re.compile(
    r"^(menu:[\w-]+|operator:[\w-]+|fallback:[\w-]+:(timeout|invalid|max_failures)"
    r"|option:[\w-]+:[0-9*#]{1,3}(:open|:closed|:then)?)$"
)


def shipped_companies() -> list[Config]:
    """The shipped DSO config and its supplier profile (examples/supplier.yaml)."""
    config = load_config(SHIPPED_CONFIG)
    assert config.profiles, "config.yaml lists no profile"
    return list(config.companies)


def graph_command(*args: str) -> Result:
    """``ivr graph ARGS`` in this process, its standard error apart from its output."""
    try:
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:  # click 8.2 and later: always apart
        runner = CliRunner()
    return runner.invoke(main, ["graph", *args])


COMPANIES = shipped_companies()
COMPANY_IDS = [c.company.id for c in COMPANIES]


def option_targets(config: Config, menu: str) -> dict[str, str | None]:
    """key -> the menu an option goes to (None: an action)."""
    return {
        key: action.menu if isinstance(action, MenuAction) else None
        for key, action in config.menus[menu].options.items()
    }


@pytest.mark.parametrize("config", COMPANIES, ids=COMPANY_IDS)
def test_dot_holds_every_menu_and_every_option(config: Config):
    text = render_dot(build_graph(config))
    for name, menu in config.menus.items():
        # the menu's node, with its name and the first words of its greeting
        node = re.search(rf'^    "menu:{name}" \[.*$', text, re.MULTILINE)
        assert node, f"no node for menu {name}"
        assert f"<B>{name}</B>" in node.group(0)
        greeting = " ".join(config.prompts.texts[menu.greeting[0]].split())
        assert f"«{greeting[:12]}" in node.group(0)
        for key, target in option_targets(config, name).items():
            ident = f"option:{name}:{key}"
            edge = re.search(
                rf'^  "menu:{name}" -> "([^"]+)" \[id="{re.escape(ident)}:edge".*$', text, re.M
            )
            if edge is None:  # a default repeat or back key: a row of the menu's box
                assert key in menu.default_keys, f"no edge for {ident}"
                assert f'ID="{ident}"' in node.group(0), f"no row for {ident}"
                continue
            assert f"label=<<B>{key}</B>>" in edge.group(0)
            if target is not None:
                assert edge.group(1) == f"menu:{target}", ident
                continue
            # the action's node shows its topic code
            action = menu.options[key]
            drawn = re.search(rf'^    "{re.escape(edge.group(1))}" \[.*$', text, re.M)
            assert drawn, f"no node for {ident}"
            if action.topic:
                assert f"topic {action.topic}<" in drawn.group(0), ident
        for what in ("timeout", "invalid"):
            assert f'ID="fallback:{name}:{what}"' in node.group(0)
        assert re.search(
            rf'^  "menu:{name}" -> "operator:{name}" \[id="fallback:{name}:max_failures:edge"',
            text,
            re.M,
        )


@pytest.mark.parametrize("config", COMPANIES, ids=COMPANY_IDS)
def test_mermaid_holds_every_menu_and_every_option(config: Config):
    text = render_mermaid(build_graph(config))
    assert text.startswith("---\n") and "\nflowchart LR\n" in text
    for name, menu in config.menus.items():
        node = re.search(rf"^    {mermaid_id('menu:' + name)}\(\"(.*)\"\)$", text, re.M)
        assert node, f"no node for menu {name}"
        assert f"<b>{name}</b>" in node.group(1)
        for key, target in option_targets(config, name).items():
            spelt = key.replace("#", "#35;")
            arrows = re.findall(
                rf'^  {mermaid_id("menu:" + name)} -->\|"{re.escape(spelt)}"\| (\S+)$', text, re.M
            )
            if not arrows:
                assert key in menu.default_keys, f"no edge for option {name}:{key}"
                assert f"<small>{spelt}  " in node.group(1)
                continue
            assert len(arrows) == 1, arrows
            if target is not None:
                assert arrows[0] == mermaid_id(f"menu:{target}")
        assert re.search(
            rf'^  {mermaid_id("menu:" + name)} -->\|"<i>\d+ failures</i>"\| '
            rf"{mermaid_id('operator:' + name)}$",
            text,
            re.M,
        )


def test_prompt_texts_are_shortened_at_a_word():
    assert shorten("Вітаємо!   Ви\nзателефонували", 40) == "Вітаємо! Ви зателефонували"
    text = "Якщо ви бачите обірваний провід, іскріння або іншу небезпеку"
    assert shorten(text, 40) == "Якщо ви бачите обірваний провід…"
    assert all(len(shorten(text, n)) <= n for n in range(10, 70))


def test_mermaid_ids_are_one_to_one():
    ids = ["option:a_b:1", "option:a:b_1", "option:a-b:*", "option:a:b-*", "option:m:#"]
    spelt = [mermaid_id(i) for i in ids]
    assert len(set(spelt)) == len(ids)
    assert all(re.fullmatch(r"[A-Za-z0-9_]+", s) for s in spelt)


@pytest.mark.parametrize("config", COMPANIES, ids=COMPANY_IDS)
def test_every_id_follows_the_scheme_and_every_option_has_one(config: Config):
    graph = build_graph(config)
    assert all(ID_RE.match(i) for i in graph.ids), sorted(
        i for i in graph.ids if not ID_RE.match(i)
    )
    for name, menu in config.menus.items():
        assert f"menu:{name}" in graph.ids
        for what in ("timeout", "invalid", "max_failures"):
            assert f"fallback:{name}:{what}" in graph.ids
        for key, action in menu.options.items():
            assert f"option:{name}:{key}" in graph.ids
            if isinstance(action, WhenOpenAction):
                assert {f"option:{name}:{key}:open", f"option:{name}:{key}:closed"} <= graph.ids
    assert build_graph(config).ids == graph.ids  # stable


def test_when_open_branches_are_drawn():
    supplier = load_config(SUPPLIER_CONFIG)
    text = render_dot(build_graph(supplier))
    # the contract menu's key 3: the operator in hours (the menu's own), an announcement after
    assert re.search(
        r'"option:contract:3" -> "operator:contract" \[id="option:contract:3:open:edge"', text
    )
    assert re.search(
        r'"option:contract:3" -> "option:contract:3:closed" '
        r'\[id="option:contract:3:closed:edge"',
        text,
    )
    assert (
        '"option:contract:3" [id="option:contract:3", class="option:contract:3", shape="diamond"'
        in text
    )
    assert "«Зараз оператори не працюють…»" in text


def test_the_default_keys_are_marked_in_the_menus():
    config = load_config(SHIPPED_CONFIG)
    assert config.menus["main"].default_keys == {"0", "#"}  # no back key in the entry menu
    assert config.menus["outages"].default_keys == {"0", "#", "*"}


def test_highlighted_ids_are_red_and_dashed_and_unknown_ones_refused():
    graph = build_graph(load_config(SHIPPED_CONFIG))
    marked = {"option:main:1", "option:outages:3", "fallback:meters:timeout"}
    text = render_dot(graph, highlight=marked)
    red = [line for line in text.splitlines() if "#dc2626" in line]
    assert any('id="option:main:1:edge"' in line and 'style="dashed"' in line for line in red)
    assert any(line.startswith('    "option:outages:3" ') and "dashed" in line for line in red)
    assert any('ID="fallback:meters:timeout" BGCOLOR="#fee2e2"' in line for line in red)
    assert "#dc2626" not in render_dot(graph)
    assert not any('"option:main:2:edge"' in line for line in red)
    mermaid = render_mermaid(graph, highlight=marked)
    assert f"class {mermaid_id('option:outages:3')} highlight" in mermaid
    assert f"class {mermaid_id('menu:meters')} highlight" in mermaid  # its row is marked
    with pytest.raises(ValueError, match="option:main:9"):
        render_dot(graph, highlight={"option:main:9"})
    with pytest.raises(ValueError, match="menu:nowhere"):
        render_mermaid(graph, highlight={"menu:nowhere"})


def svg_texts(svg: bytes) -> tuple[list[str], dict[str, list[str]]]:
    """Every text of an SVG, and the texts of each node and edge by "node ID", "edge ID"
    (Graphviz writes ``class="node ID"``)."""
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"

    def texts_of(element: ET.Element) -> list[str]:
        return ["".join(t.itertext()).replace("\xa0", " ") for t in element.iter(f"{ns}text")]

    by_class = {
        group.get("class", ""): texts_of(group)
        for group in root.iter(f"{ns}g")
        if group.get("class", "").startswith(("node ", "edge "))
    }
    return texts_of(root), by_class


@needs_dot
@pytest.mark.parametrize("config", COMPANIES, ids=COMPANY_IDS)
def test_svg_shows_every_menu_and_edge_label(config: Config):
    graph = build_graph(config)
    texts, by_class = svg_texts(run_dot(render_dot(graph), "svg"))
    for name, menu in config.menus.items():
        assert name in texts, f"menu {name} is not in the picture"
        box = by_class[f"node menu:{name}"]
        assert box[0] == name
        for key in menu.options:
            ident = f"option:{name}:{key}"
            if f"edge {ident}" in by_class:  # its edge, labelled with the key
                assert by_class[f"edge {ident}"] == [key]
                continue
            # a default repeat or back key: a row of the menu's box
            assert key in menu.default_keys, f"option {ident} has no edge"
            assert any(t.startswith(f"{key}  ") for t in box), ident
        failures = by_class[f"edge fallback:{name}:max_failures"]
        assert failures == [f"{menu.max_failures} failures"]
        assert f"no key in {menu.timeout_ms / 1000:g} s: the menu again" in box
        assert "wrong key: the menu again" in box


@needs_dot
def test_png_is_an_image(tmp_path: Path):
    result = graph_command("--config", str(SHIPPED_CONFIG), "-o", str(tmp_path / "menus.png"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "menus.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


UNREACHABLE_EDIT = (
    '"6": {action: menu, menu: complaints}',
    '"6": {action: announce, prompts: [complaints_how], topic: D99}',
)


def test_an_unreachable_menu_is_drawn_and_highlighted(tmp_path: Path):
    path = make_config(tmp_path, UNREACHABLE_EDIT)
    # still an error for the IVR itself
    problems, config = check_file(path)
    assert config is None
    assert any("menu 'complaints' is not reachable" in str(p) and p.is_error for p in problems)
    problems, config = check_file(path, allow_unreachable=True)
    assert config is not None
    assert [p.severity for p in problems if "not reachable" in p.message] == ["warning"]
    graph = build_graph(config)
    assert graph.unreachable == {"complaints"}
    text = render_dot(graph)
    node = re.search(r'^    "menu:complaints" \[.*$', text, re.M).group(0)
    assert 'fillcolor="#fed7aa"' in node and "UNREACHABLE from main" in node
    others = re.findall(r'^    "menu:(?!complaints)[^"]+" \[.*$', text, re.M)
    assert len(others) == 6 and not any("UNREACHABLE" in line for line in others)
    assert "UNREACHABLE from main" in render_mermaid(graph)
    mermaid = render_mermaid(graph)
    assert f"class {mermaid_id('menu:complaints')} unreachable" in mermaid
    assert f"style {mermaid_id('menu:complaints')} fill:#fed7aa" in mermaid
    assert f"style {mermaid_id('menu:main')} fill:#dbeafe" in mermaid
    result = graph_command("--config", str(path), "--format", "dot")
    assert result.exit_code == 0, result.output
    assert "UNREACHABLE from main" in result.stdout
    assert "warning: menu 'complaints' is not reachable" in result.stderr


def test_an_invalid_config_is_refused(tmp_path: Path):
    path = make_config(
        tmp_path, ('"1": {action: menu, menu: outages}', '"1": {action: menu, menu: outage}')
    )
    result = graph_command("--config", str(path))
    assert result.exit_code == 1
    assert "cannot draw an invalid configuration" in result.stderr
    assert "unknown menu 'outage'" in result.stderr


def test_profile_selects_the_company_and_an_unknown_one_is_a_usage_error():
    dso = graph_command("--config", str(SHIPPED_CONFIG))
    assert dso.exit_code == 0, dso.output
    assert "Демообленерго" in dso.stdout and mermaid_id("menu:outages") in dso.stdout
    supplier = graph_command("--config", str(SHIPPED_CONFIG), "--profile", "demoenergozbut")
    assert supplier.exit_code == 0, supplier.output
    assert "Демоенергозбут" in supplier.stdout
    assert mermaid_id("menu:billing") in supplier.stdout
    assert mermaid_id("menu:outages") not in supplier.stdout
    own = graph_command("--config", str(SHIPPED_CONFIG), "--profile", "demooblenergo")
    assert own.stdout == dso.stdout
    unknown = graph_command("--config", str(SHIPPED_CONFIG), "--profile", "x")
    assert unknown.exit_code == 2
    assert "'x' is not a company of" in unknown.stderr
    assert "use one of demooblenergo, demoenergozbut" in unknown.stderr


def test_the_format_follows_the_output_suffix(tmp_path: Path):
    for name, start in (("menus.dot", "digraph ivr {"), ("menus.mmd", "---\ntitle:")):
        target = tmp_path / name
        result = graph_command("--config", str(SHIPPED_CONFIG), "-o", str(target))
        assert result.exit_code == 0, result.output
        assert target.read_text(encoding="utf-8").startswith(start)
        assert f"menus drawn to {target}" in result.stderr


def test_without_dot_svg_and_png_say_what_to_install(tmp_path: Path):
    """A real process whose PATH has no dot: exit 2 and the package to install."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PATH": str(tmp_path)}
    for fmt in ("svg", "png"):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "ivr",
                "graph",
                "--config",
                str(SHIPPED_CONFIG),
                "--format",
                fmt,
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert result.returncode == 2, result.stderr
        assert f"--format {fmt} needs Graphviz's 'dot' program" in result.stderr
        assert "apt-get install graphviz" in result.stderr
        assert result.stdout == ""
    # the text formats need no Graphviz
    result = subprocess.run(
        [sys.executable, "-m", "ivr", "graph", "--config", str(SHIPPED_CONFIG), "--format", "dot"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("digraph ivr {")
