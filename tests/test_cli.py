"""The ``ivr`` command as an admin, a tester and Asterisk use it: real processes, real sockets."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

from ivr.simulator import FakeAsterisk, KeyScript, asterisk_env, parse_keys, prompt_describer
from ivr.store.repository import CallRepository

#: Run the package from this checkout even where it is not installed.
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def ivr(*args: str, cwd: Path | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ivr", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=60,
        env=ENV,
        **kwargs,
    )


def test_validate_shipped_config(config_copy: Path):
    result = ivr("validate", str(config_copy))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "config.yaml: OK" in result.stdout


def test_validate_names_the_queues_asterisk_must_define(config_copy: Path):
    """One source of truth for queue names: the shipped dialplan's fallback queue is the
    shipped config's operator queue, and validate tells the admin what Asterisk needs."""
    dialplan = ROOT / "dialplan" / "extensions_ivr.conf"
    result = ivr("validate", str(config_copy), "--dialplan", str(dialplan))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK (0 warning(s))" in result.stdout
    assert "queues.conf: 'dso-callcentre' (demooblenergo: operator.queue)" in result.stdout
    assert "channel language 'uk'" in result.stdout

    other = config_copy.parent / "other.conf"
    other.write_text(
        dialplan.read_text(encoding="utf-8").replace(
            "IVR_FALLBACK_QUEUE=dso-callcentre", "IVR_FALLBACK_QUEUE=operators"
        ),
        encoding="utf-8",
    )
    line = next(
        i
        for i, text in enumerate(other.read_text().splitlines(), start=1)
        if text.startswith("IVR_FALLBACK_QUEUE=")
    )
    result = ivr("validate", str(config_copy), "--dialplan", str(other))
    assert result.returncode == 0
    assert (
        f"{other}:{line}: globals.IVR_FALLBACK_QUEUE: warning: is 'operators' but "
        "config.yaml operator.queue is 'dso-callcentre'"
    ) in result.stdout
    assert "'operators' (IVR_FALLBACK_QUEUE in" in result.stdout


def test_validate_broken_copy_reports_file_line_and_path(config_copy: Path):
    lines = config_copy.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip() == "entry_menu: main")
    lines[index] = lines[index].replace("main", "mian")
    config_copy.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = ivr("validate", str(config_copy))
    assert result.returncode == 1
    assert f"{config_copy}:{index + 1}: entry_menu: unknown menu 'mian'" in result.stderr
    assert "did you mean 'main'?" in result.stderr


def test_serve_refuses_an_invalid_config(config_copy: Path):
    config_copy.write_text("company: [\n", encoding="utf-8")
    result = ivr("serve", "--config", str(config_copy), "--listen", "127.0.0.1:0")
    assert result.returncode == 1
    assert "refusing to run with an invalid configuration" in result.stderr
    assert f"{config_copy}:" in result.stderr


def test_serve_refuses_a_malformed_database_url(config_copy: Path):
    text = config_copy.read_text(encoding="utf-8")
    url_line = next(line for line in text.splitlines() if "url:" in line)
    config_copy.write_text(text.replace(url_line, "  url: 'nonsense://'"), encoding="utf-8")
    result = ivr("serve", "--config", str(config_copy), "--listen", "127.0.0.1:0")
    assert result.returncode == 1  # refused by validation, as `ivr validate` refuses it
    assert "database.url: database 'nonsense' is not supported" in result.stderr
    unreachable = "postgresql+psycopg://ivr:secret@127.0.0.1:1/ivr"
    config_copy.write_text(text.replace(url_line, f"  url: '{unreachable}'"), encoding="utf-8")
    result = ivr("serve", "--config", str(config_copy), "--listen", "127.0.0.1:0")
    assert result.returncode == 2  # valid, but the database cannot be reached: at once
    assert "is not usable" in result.stderr and "secret" not in result.stderr


def test_simulate_prints_a_transcript(config_copy: Path):
    result = ivr("simulate", "--config", str(config_copy), "--keys", "0", cwd=config_copy.parent)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "call from 0441234567" in out
    assert "play welcome_dso: «" in out
    assert "dialplan gets: IVR_RESULT=operator" in out
    assert "recorded (saved):" in out
    assert (config_copy.parent / "ivr.sqlite3").exists()


def test_simulate_json_and_hangup_after(config_copy: Path):
    result = ivr(
        "simulate",
        "--config",
        str(config_copy),
        "--json",
        "--hangup-after",
        "2",
        cwd=config_copy.parent,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["record"]["outcome"] == "abandoned"
    assert data["record_saved"] is True
    assert {"type": "hangup", "by": "caller"} in data["events"]


def test_simulate_rejects_unknown_keys(config_copy: Path):
    result = ivr("simulate", "--config", str(config_copy), "--keys", "1 x")
    assert result.returncode == 2
    assert "unknown key 'X'" in result.stderr


def test_interactive_simulation(config_copy: Path):
    result = ivr(
        "simulate",
        "--config",
        str(config_copy),
        "--interactive",
        cwd=config_copy.parent,
        input="0\n",
    )
    assert result.returncode == 0, result.stderr
    assert "IVR_RESULT=operator" in result.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_and_simulate_over_tcp(config_copy: Path):
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ivr",
            "serve",
            "--config",
            str(config_copy),
            "--listen",
            f"127.0.0.1:{port}",
        ],
        cwd=config_copy.parent,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        remote = ivr(
            "simulate",
            "--config",
            str(config_copy),
            "--keys",
            "2 h",
            "--json",
            "--fastagi",
            f"127.0.0.1:{port}",
            cwd=config_copy.parent,
        )
        local = ivr(
            "simulate",
            "--config",
            str(config_copy),
            "--keys",
            "2 h",
            "--json",
            cwd=config_copy.parent,
        )
        assert remote.returncode == 0, remote.stderr
        remote_data, local_data = json.loads(remote.stdout), json.loads(local.stdout)
        assert remote_data["record_saved"] and local_data["record_saved"]
        for name in ("outcome", "topic_code", "path", "result", "caller_number"):
            assert remote_data["record"][name] == local_data["record"][name], name
        assert remote_data["record"]["transport"] == "fastagi"

        # from another directory the relative database is not the server's: say so, fail,
        # and leave no empty database behind
        elsewhere = config_copy.parent / "elsewhere"
        elsewhere.mkdir()
        lost = ivr(
            "simulate",
            "--config",
            str(config_copy),
            "--keys",
            "2 h",
            "--fastagi",
            f"127.0.0.1:{port}",
            cwd=elsewhere,
        )
        assert lost.returncode == 1
        assert (
            "NO CALL RECORD FOUND (database sqlite:///ivr.sqlite3 does not exist here"
            in lost.stdout
        )
        assert list(elsewhere.iterdir()) == []
    finally:
        server.send_signal(signal.SIGTERM)
        _out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert "FastAGI server listening" in err
    assert "0441234567" not in err  # caller numbers are masked in logs


def agi_process(config_copy: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ivr", "agi", "--config", str(config_copy)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=config_copy.parent,
        env=ENV,
    )


def flushed_repository(config_copy: Path) -> CallRepository:
    """Process AGI appends its record to the journal; ``ivr db flush`` moves it into the
    database (as the FastAGI server's periodic replay does). Returns the database."""
    result = ivr("db", "flush", "--config", str(config_copy), cwd=config_copy.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    return CallRepository(f"sqlite:///{config_copy.parent / 'ivr.sqlite3'}")


def test_process_agi_call(config_copy: Path, shipped_config):
    proc = agi_process(config_copy)
    env = asterisk_env("0671234567", "0800300100")
    fake = FakeAsterisk(
        proc.stdout, proc.stdin, env, KeyScript(parse_keys("0")), prompt_describer(shipped_config)
    )
    transcript = fake.run()
    proc.stdin.close()
    assert proc.wait(timeout=30) == 0, proc.stderr.read().decode()
    assert transcript.variables["IVR_RESULT"] == "operator"
    repo = flushed_repository(config_copy)
    record = repo.find_by_unique_id(env["agi_uniqueid"])
    assert record is not None and record.caller_number == "+380671234567"
    assert record.transport == "agi"


def test_process_agi_sighup_ends_the_call_promptly(config_copy: Path, shipped_config):
    """Asterisk sends SIGHUP on hang-up; the script must stop instead of becoming a zombie."""
    proc = agi_process(config_copy)
    env = asterisk_env("0671234567", "0800300100")
    proc.stdin.write(b"".join(f"{k}: {v}\n".encode() for k, v in env.items()) + b"\n")
    proc.stdin.flush()
    assert proc.stdout.readline() == b"ANSWER\n"
    proc.stdin.write(b"200 result=0\n")
    proc.stdin.flush()
    assert proc.stdout.readline().startswith(b"STREAM FILE ")
    proc.send_signal(signal.SIGHUP)
    proc.stdin.write(b"200 result=-1 endpos=0\n")  # the prompt was cut by the hang-up
    proc.stdin.flush()
    dead_safe = []
    while line := proc.stdout.readline():
        assert line.startswith((b"SET VARIABLE", b"CHANNEL STATUS")), line
        dead_safe.append(line)
        proc.stdin.write(
            b"200 result=1\n"
            if line.startswith(b"SET")
            else b"511 Command Not Permitted on a dead channel or intercept routine\n"
        )
        proc.stdin.flush()
    assert proc.wait(timeout=10) == 0
    assert not any(line.startswith(b"CHANNEL") for line in dead_safe)  # SIGHUP known: not sent
    repo = flushed_repository(config_copy)
    assert repo.find_by_unique_id(env["agi_uniqueid"]).outcome.value == "abandoned"


@pytest.mark.parametrize(
    "env_bytes",
    [
        b"agi_request: ivr\nagi_channel: PJSIP/x-1\nagi_callerid: 04",  # truncated mid-line
        b"agi_request: ivr\nagi_callerid: \xff\xfe0441234567\nagi_uniqueid: 1.1\n\n",
        b"",
    ],
    ids=["truncated", "non-utf8", "nothing"],
)
def test_process_agi_bad_env_blocks(config_copy: Path, env_bytes: bytes):
    proc = agi_process(config_copy)
    out, err = proc.communicate(env_bytes, timeout=30)
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err
    repo = flushed_repository(config_copy)
    assert repo.count_calls() == 1  # the call is still logged
    assert os.path.exists(config_copy.parent / "ivr.sqlite3")


def test_version():
    result = ivr("--version")
    assert result.returncode == 0 and result.stdout.startswith("ivr, version ")


def test_simulator_says_when_the_scripted_keys_run_out(config_copy: Path):
    result = ivr("simulate", "--config", str(config_copy), "--keys", "2", cwd=config_copy.parent)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    ran_out = next(i for i, line in enumerate(lines) if "scripted keys ran out" in line)
    timeouts = [i for i, line in enumerate(lines) if line.startswith("no key within")]
    assert timeouts and ran_out < timeouts[0]  # said before the first silent wait
    assert "IVR_RESULT=operator" in result.stdout
    short = ivr("simulate", "--config", str(config_copy), "--keys", "2 h", cwd=config_copy.parent)
    assert "ran out" not in short.stdout


def test_two_configs_on_one_database_never_share_an_appeal_number(config_copy: Path):
    """Appeal numbers belong to the database: two config directories writing to the same
    SQLite file (relative URL, same working directory) take numbers from one sequence."""
    import shutil

    work = config_copy.parent
    for name in ("a", "b"):
        (work / name).mkdir()
        shutil.copy(config_copy, work / name / "config.yaml")
        shutil.copytree(work / "prompts", work / name / "prompts")
    numbers = []
    for name in ("a", "b"):
        result = ivr("simulate", "--config", f"{name}/config.yaml", "--keys", "0", cwd=work)
        assert result.returncode == 0, result.stderr
        assert "recorded (saved)" in result.stdout, result.stdout
        numbers += [
            line.split()[1] for line in result.stdout.splitlines() if line.startswith("appeal ")
        ]
    assert len(numbers) == 2 and numbers[0] != numbers[1]
