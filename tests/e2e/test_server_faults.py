"""When the IVR cannot serve a call, a person can: faults of the server under a real Asterisk.

The server unreachable, refusing the connection, asked for an unknown script, a prompt file
gone while it runs, SIGTERM and SIGKILL during calls. Each test places its calls at once.
"""

from __future__ import annotations

import signal

import pytest

from e2e.conftest import free_port
from e2e.real_asterisk import Asterisk, report
from ivr.store.records import Outcome

FALLBACK_LINE = "IVR: fallback to dso-callcentre"


def wait_in_menu(asterisk: Asterisk, call, prompt: str) -> None:
    asterisk.wait_for_log(rf"Local/{call.id}@e2e-in-\S+;2>AGI Rx << STREAM FILE \"\S+/{prompt}\"")


#: A server that refuses a connection at once may close it while Asterisk is still writing
#: the env block: Asterisk then logs its write() failing (a reset), and falls back all the same.
RESET = "write() returned error: Connection reset by peer"


@pytest.mark.asterisk_warnings("Connection refused", "FastAGI failed", RESET)
def test_unreachable_refusing_or_unknown_script_reach_a_person(asterisk: Asterisk, site_factory):
    site = site_factory("refusing")
    refusing = site.serve("--max-connections", "0")
    serving = site.serve()  # reads the env block, then refuses the script it names
    try:
        calls = {
            "unreachable": asterisk.place("w1000", agi=f"agi://127.0.0.1:{free_port()}/ivr"),
            "refused": asterisk.place("w1000", agi=refusing.url),
            "unknown_script": asterisk.place("w1000", agi=serving.url.replace("/ivr", "/nosuch")),
        }
        asterisk.wait_gone(calls.values(), timeout=60)
    finally:
        refusing.stop()
        serving.stop()
    for name, call in calls.items():
        rep = report(asterisk, call)
        assert rep.branches == ["fallback"], name
        assert any(FALLBACK_LINE in line for line in rep.lines), name
        assert rep.agent() is not None, name  # an operator answered
        assert not [line for line in rep.lines if "invalid extension" in line.lower()], name
        assert rep.ivr_cdr["userfield"] == "ivr-fallback", name
        problems = rep.problems()
        if name == "unreachable":  # Asterisk's own word that the server is down
            assert problems and all(
                "Connection refused" in line or "failed" in line for line in problems
            ), problems
        elif name == "refused":
            assert all(RESET in line for line in problems), (name, problems)
        else:
            assert problems == [], (name, problems)
    unreachable = report(asterisk, calls["unreachable"])
    assert any("AGISTATUS=FAILURE" in line for line in unreachable.lines)
    refused = report(asterisk, calls["refused"])
    assert any("AGISTATUS=SUCCESS IVR_RESULT=" in line for line in refused.lines)
    assert "connection limit 0 reached" in refusing.text()
    assert "unknown FastAGI script 'nosuch'" in serving.text()


@pytest.mark.asterisk_warnings("menu_connection does not exist")
@pytest.mark.parametrize("transport", ["fastagi", "agi"])
def test_prompt_gone_while_running_keeps_the_ivr_decision(
    asterisk: Asterisk, site_factory, transport
):
    site = site_factory(f"vanish-{transport}")
    server = site.serve() if transport == "fastagi" else None
    try:
        agi = server.url if server else site.process_agi
        # 4 (connection: its greeting is gone by then), then 2: an operator for topic D3.
        call = asterisk.place("w2500 d4 w1500 d2", agi=agi, talk=1)
        wait_in_menu(asterisk, call, "welcome_dso")
        (site.dir / "prompts" / "uk" / "menu_connection.wav").unlink()
        asterisk.wait_gone([call], timeout=90)
    finally:
        if server:
            server.stop()
    rep = report(asterisk, call)
    assert any("AGISTATUS=FAILURE IVR_RESULT=operator" in line for line in rep.lines)
    assert rep.branches == ["operator"]  # the IVR's decision, not the fallback
    assert rep.agent()["topic"] == "D3"
    assert rep.ivr_cdr["userfield"].startswith("D3;")
    assert all("menu_connection" in line for line in rep.problems())  # only the missing file
    # a -1 with no HANGUP line after it: the IVR asks, the channel is up, the call goes on
    pairs = rep.exchanges()
    failed = next(i for i, (cmd, _) in enumerate(pairs) if "menu_connection" in cmd)
    assert pairs[failed][1].startswith("200 result=-1"), pairs[failed]
    assert pairs[failed + 1] == ("CHANNEL STATUS", "200 result=6"), pairs[failed + 1]


def test_sigterm_hands_running_calls_over_and_records_them(asterisk: Asterisk, site_factory):
    site = site_factory("drain")
    server = site.serve("--drain-timeout", "4", "--cut-grace", "20")
    # a bill (7), the region (1), the connection (1): redirected in ~6 s
    finishing = asterisk.place("w2000 d7 w2000 d1 w2000 d1", agi=server.url)
    waiting = asterisk.place("w2000 d4", agi=server.url, talk=1)  # silent in a menu
    wait_in_menu(asterisk, waiting, "menu_connection")
    wait_in_menu(asterisk, finishing, "misrouted_universal")
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(60) == 0
    asterisk.wait_gone([finishing, waiting], timeout=60)
    log = server.text()
    assert "Traceback" not in log and "CancelledError" not in log
    assert " ERROR " not in log
    done, handed = report(asterisk, finishing), report(asterisk, waiting)
    assert done.branches == ["redirect"] and done.company_answered() == "0800000316"
    assert handed.branches == ["operator"] and handed.agent() is not None
    repository = site.repository()
    try:
        record = repository.find_by_unique_id(done.unique_id)
        assert record.outcome is Outcome.REDIRECTED and record.error is None
        record = repository.find_by_unique_id(handed.unique_id)
        assert record.outcome is Outcome.OPERATOR  # what really happened
        assert "server is stopping" in record.error
    finally:
        repository.dispose()


def test_sigkill_during_calls_loses_no_call(asterisk: Asterisk, site_factory):
    site = site_factory("kill")
    server = site.serve()
    calls = [
        asterisk.place("w2000 d4", caller=f"04412345{i:02d}", agi=server.url, talk=1)
        for i in range(3)
    ]
    for call in calls:
        wait_in_menu(asterisk, call, "menu_connection")
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(10)
    asterisk.wait_gone(calls, timeout=60)
    for call in calls:
        rep = report(asterisk, call)
        assert rep.branches == ["fallback"] and rep.agent() is not None
    output = site.flush()  # what a restarted server does at once
    assert "3 interrupted" in output
    repository = site.repository()
    try:
        for i, call in enumerate(calls):
            record = repository.find_by_unique_id(report(asterisk, call).unique_id)
            assert record is not None and record.outcome is Outcome.INTERRUPTED
            assert record.caller_number == f"+3804412345{i:02d}"
            assert record.transport == "fastagi" and record.dialled_number == "0800000373"
    finally:
        repository.dispose()


def test_process_agi_log_reaches_the_admin(asterisk: Asterisk, site_factory):
    """A record process AGI cannot save is said in the config's log_file, not only on
    Asterisk's stderr (which a daemonised Asterisk sends to /dev/null)."""
    site = site_factory(
        "agilog", edit=lambda text: text.replace("journal: ivr-journal.jsonl", "journal: prompts")
    )  # a directory: no journal
    call = asterisk.place("w1500 d1 w1500 h", agi=site.process_agi)
    asterisk.wait_gone([call], timeout=60)
    log = (site.dir / "ivr-agi.log").read_text(encoding="utf-8")
    assert "CALL RECORD NOT SAVED" in log and "Is a directory" in log
    assert "call start not journalled" in log
    assert "0441234567" not in log  # the caller's number is masked


def test_transfer_to_a_number_and_a_failed_transfer(asterisk: Asterisk, site_factory):
    """A config with a transfer option (contract menu, key 4): the number answers, or it does
    not and a person takes the call instead of a hang-up."""
    site = site_factory(
        "transfer",
        edit=lambda text: text.replace(
            '"4": {action: operator, topic: D8}',
            '"4": {action: transfer, number: "0800000999", topic: D8}',
        ),
    )
    server = site.serve()
    try:
        # 5 (contract) during the welcome, 4 (transfer) during the contract menu
        answered = asterisk.place("w2000 d5 w2000 d4", agi=server.url, talk=2)
        failed = asterisk.place("w2000 d5 w2000 d4", agi=server.url, company="busy", talk=1)
        asterisk.wait_gone([answered, failed], timeout=90)
    finally:
        server.stop()
    done, fell_back = report(asterisk, answered), report(asterisk, failed)
    assert done.branches == ["transfer"] and done.company_answered() == "0800000999"
    assert done.agent() is None
    assert fell_back.branches == ["transfer", "fallback"] and fell_back.agent() is not None
    assert fell_back.ivr_cdr["userfield"] == "D8;"  # the topic survives the fallback
    repository = site.repository()
    try:
        for rep in (done, fell_back):
            record = repository.find_by_unique_id(rep.unique_id)
            assert record.outcome is Outcome.TRANSFERRED and record.transfer_to == "0800000999"
    finally:
        repository.dispose()


def test_old_outage_data_is_said_to_be_old(asterisk: Asterisk, site_factory):
    """Outage data last fetched over three hours ago: the caller known by number hears that
    it may be out of date, and when it was updated, before their status (both transports)."""
    from datetime import UTC, datetime, timedelta

    from ivr.cli.sample import seed_sample

    site = site_factory("stale")
    server = site.serve()
    try:
        repository = site.repository()
        try:  # the sample moved three hours back: fetched 3 h 15 min ago
            seed_sample(repository, now=datetime.now(UTC) - timedelta(hours=3))
        finally:
            repository.dispose()
        calls = {
            transport: asterisk.place(
                "w2000 d1 w3000 d2 w14000 h", caller="0500000004", agi=agi, talk=1
            )
            for transport, agi in (("fastagi", server.url), ("agi", site.process_agi))
        }
        asterisk.wait_gone(calls.values(), timeout=90)
    finally:
        server.stop()
    site.flush()
    for transport, call in calls.items():
        said = report(asterisk, call).streamed()
        assert said.index("outage_data_stale") < said.index("outage_data_age"), transport
        assert said.index("outage_data_age") < said.index("outage_emergency_here"), transport
        assert report(asterisk, call).problems() == [], transport


def test_two_workers_on_one_port_serve_and_record_calls(asterisk: Asterisk, site_factory):
    """``ivr serve --workers 2``: both workers listen on the one port (SO_REUSEPORT), Asterisk
    reaches them at the one agi:// URL, every call is recorded, and SIGTERM to the supervisor
    stops both cleanly."""
    site = site_factory("workers")
    server = site.serve("--workers", "2")
    listening = server.wait_for_all(r"\[(w\d) \d+\] INFO .*listening on 127\.0\.0\.1:(\d+)", 2)
    assert {m.group(1) for m in listening} == {"w1", "w2"}
    assert {int(m.group(2)) for m in listening} == {server.address[1]}
    # a bill (7), the region (1), the connection (1): redirected to the other company
    calls = [
        asterisk.place("w2000 d7 w2000 d1 w2000 d1", caller=f"04412346{i:02d}", agi=server.url)
        for i in range(4)
    ]
    asterisk.wait_gone(calls, timeout=90)
    server.wait_for_all(r"\[w\d \d+\] .*ended: ", len(calls))
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(60) == 0
    log = server.text()
    assert "Traceback" not in log and " ERROR " not in log
    repository = site.repository()
    try:
        for call in calls:
            rep = report(asterisk, call)
            assert rep.branches == ["redirect"] and rep.company_answered() == "0800000316"
            record = repository.find_by_unique_id(rep.unique_id)
            assert record is not None and record.outcome is Outcome.REDIRECTED
            assert record.transport == "fastagi" and record.error is None
    finally:
        repository.dispose()
