"""The console's configuration page (admin) on SQLite and PostgreSQL: the menu diagram, the
running file's validation, a candidate's check and diff, and the reload button's SIGHUP to a
real process; ``ivr serve --console`` as a real process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import aiohttp
import pytest
from console_support import ConsoleClient
from serve_process import ServeProcess

from ivr.console.web import Console
from ivr.store.audit import AuditFilter, AuditLog

REFUSED = "Ця сторінка недоступна для вашої ролі."
BAD_TIMEZONE = ("  timezone: Europe/Kyiv\n", "  timezone: Mars/Olympus\n")


def line_of(text: str, line: str) -> int:
    return text[: text.index(line)].count("\n") + 1


def swapped(text: str) -> str:
    """The config with keys 1 and 2 of the main menu swapped and a topic relabelled."""
    new = (
        text.replace('"1": {action: menu, menu: outages}', "SWAP")
        .replace('"2": {action: menu, menu: quality}', '"2": {action: menu, menu: outages}')
        .replace("SWAP", '"1": {action: menu, menu: quality}')
        .replace('label: "Приєднання до електромереж"', 'label: "Приєднання (нове)"')
    )
    assert new != text
    return new


def upload(client: ConsoleClient, text: str, name: str = "config.yaml", **fields: str):
    token = client.get("/config").csrf()
    data = aiohttp.FormData()
    data.add_field("csrf", token)
    data.add_field("file", text.encode("utf-8"), filename=name, content_type="application/yaml")
    for key, value in fields.items():
        data.add_field(key, value)
    return client.post("/config/check", data)


@pytest.fixture
def running(console_state: Console, config_copy: Path) -> Path:
    """The console's running file: the shipped config with its audio built, in tmp."""
    console_state.config_path = config_copy
    return config_copy


@pytest.fixture
def hup_catcher(tmp_path: Path):
    """A real process that writes down each SIGHUP it gets: (process, its record file)."""
    record = tmp_path / "hups.txt"
    script = (
        "import pathlib, signal, sys, time\n"
        "out = pathlib.Path(sys.argv[1])\n"
        "signal.signal(signal.SIGHUP, lambda s, f: out.open('a').write('HUP\\n'))\n"
        "print('ready', flush=True)\n"
        "while True: time.sleep(0.05)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(record)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    yield process, record
    process.kill()
    process.wait(10)


def hups(record: Path, expected: int, timeout: float = 5.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count = record.read_text().count("HUP") if record.exists() else 0
        if count >= expected:
            return count
        time.sleep(0.05)
    return record.read_text().count("HUP") if record.exists() else 0


# -- the page ---------------------------------------------------------------------------------


def test_the_admin_sees_the_diagram_and_a_valid_running_file(
    console_client: ConsoleClient, running: Path
):
    console_client.login("admin")
    reply = console_client.get("/config")
    assert reply.status == 200
    assert '<img src="data:image/svg+xml;base64,' in reply.text
    assert "ПрАТ «Демообленерго»" in reply.text
    assert "Помилок немає" in reply.text and "сервер може перечитати цей файл" in reply.text
    assert str(running) in reply.text
    assert 'href="/config" aria-current="page"' in reply.text


def test_the_running_file_s_problems_are_shown_with_their_lines(
    console_client: ConsoleClient, running: Path
):
    text = running.read_text(encoding="utf-8")
    running.write_text(text.replace(*BAD_TIMEZONE), encoding="utf-8")
    console_client.login("admin")
    reply = console_client.get("/config")
    assert reply.status == 200
    assert f"{running}:{line_of(text, BAD_TIMEZONE[0])}: company.timezone" in reply.text
    assert "Файл не придатний для дзвінків: помилок — 1" in reply.text
    assert "Схему не побудовано: у робочому файлі є помилки." in reply.text


def test_without_graphviz_the_diagram_is_text_with_a_note(
    console_client: ConsoleClient, running: Path, tmp_path: Path, monkeypatch
):
    empty = tmp_path / "no-programs"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    console_client.login("admin")
    reply = console_client.get("/config")
    assert reply.status == 200 and "data:image/svg+xml" not in reply.text
    assert "flowchart LR" in reply.text
    assert "Програма Graphviz (<code>dot</code>) недоступна" in reply.text
    assert "меню ще раз" in reply.text and "the menu again" not in reply.text  # Ukrainian


@pytest.mark.parametrize("name", ["dispatcher", "super"])
def test_a_dispatcher_and_a_supervisor_are_refused(console_client: ConsoleClient, name: str):
    console_client.login(name)
    reply = console_client.get("/config")
    assert reply.status == 403 and REFUSED in reply.text
    assert 'href="/config"' not in reply.text  # nor in the navigation
    token = console_client.get("/outages").csrf()
    for action in ("/config/check", "/config/reload"):
        refused = console_client.post(action, {"csrf": token, "text": "company: {}"})
        assert refused.status == 403 and REFUSED in refused.text


# -- a candidate file -------------------------------------------------------------------------


def test_a_candidate_with_an_error_shows_its_line(console_client: ConsoleClient, running: Path):
    text = running.read_text(encoding="utf-8")
    console_client.login("admin")
    reply = upload(console_client, text.replace(*BAD_TIMEZONE), name="new-config.yaml")
    assert reply.status == 400
    line = line_of(text, BAD_TIMEZONE[0])
    assert f"new-config.yaml:{line}: company.timezone" in reply.text
    assert "Помилок — 1: порівняння не показано." in reply.text
    assert ".ivr-candidate-" not in reply.text  # the temporary file is never named
    assert not list(running.parent.glob(".ivr-candidate-*"))  # and is gone
    assert running.read_text(encoding="utf-8") == text


def test_a_valid_candidate_shows_the_diff_and_changes_nothing(
    console_client: ConsoleClient, running: Path
):
    text = running.read_text(encoding="utf-8")
    console_client.login("admin")
    reply = upload(console_client, swapped(text))
    assert reply.status == 200, reply.text
    assert "Що зміниться порівняно з робочим файлом" in reply.text
    assert "option changed: main &#34;1&#34;: menu outages -&gt; menu quality" in reply.text
    assert "relabelled" in reply.text and "Приєднання (нове)" in reply.text
    assert running.read_text(encoding="utf-8") == text
    assert not list(running.parent.glob(".ivr-candidate-*"))


def test_a_candidate_resolves_relative_paths_beside_the_running_file(
    console_client: ConsoleClient, running: Path
):
    """The copy's sounds directory is relative ('prompts', beside it): the candidate finds
    the built audio there, so the rule of calls holds for it as for the running file."""
    console_client.login("admin")
    reply = upload(console_client, running.read_text(encoding="utf-8"))
    assert reply.status == 200 and "no changes" in reply.text


def test_a_typed_candidate_and_the_audio_rule(console_client: ConsoleClient, running: Path):
    text = running.read_text(encoding="utf-8").replace("sounds: prompts ", "sounds: elsewhere ")
    console_client.login("admin")
    token = console_client.get("/config").csrf()
    strict = console_client.post("/config/check", {"csrf": token, "text": text})
    assert strict.status == 400 and "candidate.yaml:" in strict.text
    assert "no prompt audio has been built" in strict.text
    assert "sounds: elsewhere" in strict.text  # the typed text is kept in its box
    lax = console_client.post("/config/check", {"csrf": token, "text": text, "no_audio": "1"})
    assert lax.status == 200 and "setting changed: prompts.sounds" in lax.text


def test_a_check_without_a_file_is_refused_in_ukrainian(
    console_client: ConsoleClient, running: Path
):
    console_client.login("admin")
    token = console_client.get("/config").csrf()
    reply = console_client.post("/config/check", {"csrf": token, "text": "  "})
    assert reply.status == 400
    assert "Оберіть файл конфігурації або вставте його текст." in reply.text
    token = console_client.get("/config").csrf()
    data = aiohttp.FormData()
    data.add_field("csrf", token)
    data.add_field("file", b"\xff\xfe\x00bad", filename="c.yaml")
    reply = console_client.post("/config/check", data)
    assert reply.status == 400 and "не є текстом UTF-8" in reply.text


# -- the reload button ------------------------------------------------------------------------


def test_reload_sends_sighup_writes_the_audit_log_and_rereads_the_config(
    console_client: ConsoleClient, running: Path, hup_catcher
):
    process, record = hup_catcher
    state = console_client.state
    state.server_pid = process.pid
    database = state.config.database_url
    console_client.login("admin")
    page = console_client.get("/config")
    assert f"pid {process.pid}" in page.text
    reply = console_client.post("/config/reload", {"csrf": page.csrf()})
    assert reply.status == 200 and reply.url.endswith("/config")
    assert f"Сервер IVR (pid {process.pid}) отримав сигнал перечитати конфігурацію" in reply.text
    assert hups(record, 1) == 1
    events = AuditLog(state.repository).events(AuditFilter(action_prefix="config."))
    assert [(e.actor, e.action, e.target) for e in events] == [
        ("admin", "config.reload", str(running))
    ]
    assert state.config.source == running.resolve()  # the console's own config re-read
    assert state.config.database_url == database  # its database stays until a restart


def test_reload_of_an_invalid_file_sends_nothing(
    console_client: ConsoleClient, running: Path, hup_catcher
):
    process, record = hup_catcher
    console_client.state.server_pid = process.pid
    text = running.read_text(encoding="utf-8")
    running.write_text(text.replace(*BAD_TIMEZONE), encoding="utf-8")
    console_client.login("admin")
    reply = console_client.form("/config", "/config/reload", {})
    assert reply.status == 409
    assert "Конфігурацію не перечитано: у файлі є помилки." in reply.text
    assert f":{line_of(text, BAD_TIMEZONE[0])}: company.timezone" in reply.text
    assert hups(record, 1, timeout=0.5) == 0
    assert not AuditLog(console_client.state.repository).events(AuditFilter("config."))


def test_reload_without_a_known_server_says_so(console_client: ConsoleClient, running: Path):
    console_client.login("admin")
    assert "Консоль не знає сервера IVR" in console_client.get("/config").text
    reply = console_client.form("/config", "/config/reload", {})
    assert reply.status == 409
    assert "ivr serve --console" in reply.text and "ivr console --server-pid" in reply.text


def test_reload_of_a_server_that_is_gone(console_client: ConsoleClient, running: Path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait(10)
    console_client.state.server_pid = gone.pid
    console_client.login("admin")
    reply = console_client.form("/config", "/config/reload", {})
    assert reply.status == 409 and f"(pid {gone.pid}) не працює" in reply.text


# -- ivr serve --console ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def gone(pid: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_serve_with_console_runs_it_and_ends_it(config_copy: Path):
    port = free_port()
    queue_log = config_copy.parent / "queue_log"
    queue_log.write_text("", encoding="utf-8")
    serve = ServeProcess(
        config_copy, "--console", f"127.0.0.1:{port}", "--console-queue-log", str(queue_log)
    )
    try:
        serve.wait_for(rf"console on http://127\.0\.0\.1:{port}/")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as page:
            assert page.status == 200 and "Вхід до консолі" in page.read().decode("utf-8")
        (console_pid,) = children(serve.proc.pid)
        cmdline = Path(f"/proc/{console_pid}/cmdline").read_bytes().split(b"\0")
        assert b"--server-pid" in cmdline
        assert cmdline[cmdline.index(b"--server-pid") + 1] == str(serve.proc.pid).encode()
        assert cmdline[cmdline.index(b"--queue-log") + 1] == str(queue_log).encode()
        serve.proc.send_signal(signal.SIGTERM)
        assert serve.proc.wait(30) == 0
        assert gone(console_pid)
    finally:
        serve.stop()


def test_serve_refuses_a_console_other_machines_could_reach(config_copy: Path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ivr",
            "serve",
            "--config",
            str(config_copy),
            "--workers",
            "1",
            "--console",
            "0.0.0.0:8080",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    assert result.returncode == 2 and "reachable from other machines" in result.stderr
