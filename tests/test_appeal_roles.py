"""The PostgreSQL roles of the README, run as written on a PostgreSQL server of this test:
each role can do its job and no more (the back office alone reads appeals whole and moves
them on)."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from appeal_support import seed
from conftest import ROOT

from ivr.outages.batch import Batch
from ivr.outages.model import Area, Outage, OutageKind, OutageStatus, Restoration
from ivr.store.appeal_queries import AppealFilter, AppealQueries
from ivr.store.audit import AuditLog
from ivr.store.lifecycle import AppealLifecycle
from ivr.store.outages import OutageStore
from ivr.store.queries import ReportQueries
from ivr.store.repository import CallRepository, StorageError
from ivr.store.users import UserStore


def readme_roles() -> tuple[list[str], list[str]]:
    """The README's role statements: those of the superuser, then those of ivr_owner."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Personal data and PostgreSQL roles") :]
    block = re.search(r"```sql\n(.*?)```", section, re.S)
    assert block is not None
    before, marker, after = block.group(1).partition("-- as ivr_owner")
    assert marker, "the README names where ivr_owner takes over"
    after = after.split("\n", 1)[1]

    def statements(sql: str) -> list[str]:
        lines = [line.split("--", 1)[0] for line in sql.splitlines()]
        return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]

    return statements(before), statements(after)


def test_each_role_can_do_its_job_and_no_more(own_postgres):
    superuser, owner_grants = readme_roles()
    admin = sa.create_engine(own_postgres.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for statement in superuser:
            connection.execute(sa.text(statement))
    admin.dispose()
    url = own_postgres.url.replace("postgres@", "{}@").rsplit("/", 1)[0] + "/ivr"

    def repository(role: str) -> CallRepository:
        return CallRepository(url.format(role))

    owner = repository("ivr_owner")
    owner.ensure_schema()
    with owner.engine.begin() as connection:
        for statement in owner_grants:
            connection.execute(sa.text(statement))

    writer = repository("ivr_writer")
    writer.ensure_schema()  # ivr serve at start: at the newest revision already
    writer.sync_topics({"dso": [("D1", "Відсутність електропостачання")]}, datetime.now(UTC))
    now = datetime.now(UTC)
    world = seed(writer, now)  # calls with appeals, linked reports, a meter reading
    assert writer.get_call(f"{'again0':0<32}").links

    reader = repository("ivr_reader")
    with ReportQueries(reader).reading(now - timedelta(days=90), now) as read:
        assert sum(h.n for h in read.appeals_by_topic(without_test=True)) == 6
        assert read.calls_by_topic()
    with pytest.raises(StorageError, match="permission denied for table appeals"):
        AppealQueries(reader).find(AppealFilter())

    backoffice = repository("ivr_backoffice")
    backoffice.check_schema_current()
    queries = AppealQueries(backoffice)
    assert [v.record.appeal_number for v in queries.find(AppealFilter())] == world.real
    assert queries.get(world.meter).readings
    assert queries.outage_reports(now - timedelta(hours=24))[0].reports == 5
    AppealLifecycle(backoffice).change(world.sadova, "in_progress", "Петренко О.")
    AppealLifecycle(backoffice).change(world.sadova, "closed", "Петренко О.", "дубль")
    assert queries.get(world.sadova).view.closed_at is not None

    with pytest.raises(StorageError, match="permission denied for table appeal_events"):
        AppealLifecycle(writer).change(world.lisova, "in_progress", "сервер")

    # the outage data: imported by a server's feed, changed by the console's dispatchers
    outage = Outage(
        "A-1",
        OutageKind.EMERGENCY,
        Area("Вишневе", ("вул. Лісова",)),
        now - timedelta(hours=1),
        OutageStatus.ACTIVE,
        (Restoration(now + timedelta(hours=1), now, "feed"),),
        source="feed",
    )
    OutageStore(writer).import_batch(Batch(outages=(outage,)), "feed")
    console = repository("ivr_console")
    console.check_schema_current()
    outages = OutageStore(console)
    outages.update("feed", "A-1", restoration=now + timedelta(hours=3), actor="olena")
    moved = dataclasses.replace(outage, area=Area("Вишневе", ("вул. Садова",)))
    OutageStore(writer).import_batch(Batch(outages=(moved,)), "feed")  # index rows replaced
    assert [o.area.streets for o in outages.list()] == [("вул. Садова",)]
    users = UserStore(console)
    users.add("olena", "dispatcher", "довгий-пароль-42", "admin")
    assert users.verify("olena", "довгий-пароль-42") is not None
    actions = [e.action for e in AuditLog(console).events()]
    assert actions == ["user.add", "outage.restoration", "appeal.status", "appeal.status"]
    assert AppealQueries(console).find(AppealFilter())
    AppealLifecycle(console).change(world.lisova, "in_progress", "olena")
    refused = "permission denied for table console_users"
    with pytest.raises(sa.exc.ProgrammingError, match=refused):
        UserStore(writer).verify("olena", "довгий-пароль-42")
    with pytest.raises(
        sa.exc.ProgrammingError, match="permission denied for table (audit_events|calls)"
    ):
        console.purge(now + timedelta(days=1))  # nor can it delete the audit log
    for repo in (owner, writer, reader, backoffice, console):
        repo.dispose()
