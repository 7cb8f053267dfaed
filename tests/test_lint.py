"""The code stays ruff- and mypy-clean: CI runs both through this test."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from conftest import ROOT


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *command], capture_output=True, text=True, cwd=ROOT, timeout=600
    )


def test_ruff_finds_nothing():
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing_in_ivr():
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def import_graph() -> dict[str, set[str]]:
    """ivr module -> the ivr modules it imports, at module level or inside functions."""
    import ast

    package = ROOT / "ivr"
    modules = {}
    for path in package.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        modules[name] = path
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.level == 0
                and node.module
                and node.module.startswith("ivr")
            ):
                targets = {f"{node.module}.{alias.name}" for alias in node.names}
                targets.add(node.module)
                graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def test_no_import_cycles_not_even_through_function_level_imports():
    graph = import_graph()
    cycles = set()

    def visit(module: str, path: list[str]) -> None:
        for target in graph[module]:
            if target in path:
                cycles.add(" -> ".join(path[path.index(target) :] + [target]))
            else:
                visit(target, path + [target])

    for module in sorted(graph):
        visit(module, [module])
    assert not cycles, "\n".join(sorted(cycles))


def test_ruff_format_leaves_everything_as_it_is():
    result = run("ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def imported_modules(path: Path, module: str) -> Iterator[tuple[int, str]]:
    """(line, module) for every import statement of a file, in functions too; ``from a
    import b`` names both ``a`` and ``a.b``, relative imports are resolved."""
    import ast

    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            source = ".".join([*base, *([node.module] if node.module else [])])
            yield node.lineno, source
            for alias in node.names:
                yield node.lineno, f"{source}.{alias.name}"


def test_only_the_store_touches_the_database():
    """Storage is the only code that touches the database: outside ``ivr/store/`` no module
    imports SQLAlchemy, Alembic or the ORM models, and only the commands (``ivr/cli/``) import
    the repository, to open and close it."""
    offenders = []
    for path in sorted((ROOT / "ivr").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[:2] == ("ivr", "store"):
            continue
        forbidden = ["sqlalchemy", "alembic", "ivr.store.models"]
        if parts[:2] != ("ivr", "cli"):
            forbidden.append("ivr.store.repository")
        for line, name in imported_modules(path, ".".join(parts).removesuffix(".__init__")):
            if any(name == f or name.startswith(f"{f}.") for f in forbidden):
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    assert not offenders, "\n".join(offenders)
