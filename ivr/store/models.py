"""SQLAlchemy 2 typed models of the appeals database: the call log, appeals, the topic
catalogue over time. Their columns follow the record dataclasses (``ivr.store.records``)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from ivr.store.records import (
    AppealEventRecord,
    AppealLinkRecord,
    AppealRecord,
    CallRecord,
    MeterReadingRecord,
    Outcome,
    Result,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every engine (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Call(Base):
    """One call that reached the IVR."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_uid: Mapped[str] = mapped_column(String(32), unique=True)  # idempotency key
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    caller_raw: Mapped[str] = mapped_column(String(128))
    caller_number: Mapped[str | None] = mapped_column(String(16))  # +380XXXXXXXXX
    caller_name: Mapped[str] = mapped_column(String(128), default="")
    dialled_number: Mapped[str] = mapped_column(String(64))
    unique_id: Mapped[str] = mapped_column(String(64))  # Asterisk ${UNIQUEID}
    channel: Mapped[str] = mapped_column(String(128))
    transport: Mapped[str] = mapped_column(String(16))  # agi | fastagi
    role: Mapped[str] = mapped_column(String(16))  # dso | supplier
    topic_code: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    result: Mapped[str | None] = mapped_column(String(16))
    transfer_to: Mapped[str | None] = mapped_column(String(64))
    path: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    test: Mapped[bool] = mapped_column(Boolean, default=False)  # simulated or test call
    account_number: Mapped[str | None] = mapped_column(String(20))  # identified caller
    redirect_company: Mapped[str | None] = mapped_column(String(64))  # directory company id
    company: Mapped[str] = mapped_column(String(32), default="main")  # company.id answered
    appeals: Mapped[list[Appeal]] = relationship(order_by="Appeal.id", lazy="selectin")
    links: Mapped[list[AppealLink]] = relationship(order_by="AppealLink.id", lazy="selectin")
    readings: Mapped[list[MeterReading]] = relationship(order_by="MeterReading.id", lazy="selectin")

    __table_args__ = (
        Index("ix_calls_started_at", "started_at"),
        Index("ix_calls_started_topic", "started_at", "topic_code"),
        Index("ix_calls_started_outcome", "started_at", "outcome"),
        Index("ix_calls_started_duration", "started_at", "duration_ms"),
        Index("ix_calls_caller_number", "caller_number"),
        Index("ix_calls_unique_id", "unique_id"),
        Index("ix_calls_test_started", "test", "started_at"),
        Index("ix_calls_account_number", "account_number"),
    )

    def to_record(self) -> CallRecord:
        values = fields_of(self, CallRecord)
        values["outcome"] = Outcome(self.outcome)
        values["result"] = Result(self.result) if self.result else None
        values["path"] = list(self.path or [])
        values["test"] = bool(self.test)
        values["appeals"] = [a.to_record() for a in self.appeals]
        values["links"] = [link.to_record() for link in self.links]
        values["readings"] = [r.to_record() for r in self.readings]
        return CallRecord(**values)


class Appeal(Base):
    """An appeal (звернення) that needs follow-up: the call centre's legal record."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    appeal_number: Mapped[str] = mapped_column(String(20), unique=True)
    call_uid: Mapped[str] = mapped_column(ForeignKey("calls.call_uid", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16))
    topic_code: Mapped[str | None] = mapped_column(String(16))
    topic_label: Mapped[str | None] = mapped_column(String(300))  # as it was at that time
    caller_number: Mapped[str | None] = mapped_column(String(16))
    caller_raw: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="registered")
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    test: Mapped[bool] = mapped_column(Boolean, default=False)  # the call was a test call
    account_number: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(300))
    address_key: Mapped[str | None] = mapped_column(String(300))
    street_key: Mapped[str | None] = mapped_column(String(300))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    company: Mapped[str] = mapped_column(String(32), default="main")  # its call's company.id

    __table_args__ = (
        Index("ix_appeals_registered_topic", "registered_at", "topic_code"),
        Index("ix_appeals_call_uid", "call_uid"),
        Index("ix_appeals_status_due", "status", "due_at"),
        Index("ix_appeals_kind_address", "kind", "address_key", "registered_at"),
        Index("ix_appeals_kind_street", "kind", "street_key", "registered_at"),
        Index("ix_appeals_account", "account_number"),
    )

    def to_record(self) -> AppealRecord:
        values = fields_of(self, AppealRecord)
        values["details"] = dict(self.details or {})
        return AppealRecord(**values)


class AppealLink(Base):
    """A repeated outage report linked to the first report's appeal."""

    __tablename__ = "appeal_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    appeal_number: Mapped[str] = mapped_column(String(20))
    call_uid: Mapped[str] = mapped_column(ForeignKey("calls.call_uid", ondelete="CASCADE"))
    caller_number: Mapped[str | None] = mapped_column(String(16))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    test: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_appeal_links_appeal", "appeal_number"),
        Index("ix_appeal_links_call_uid", "call_uid"),
        Index("ix_appeal_links_linked_at", "linked_at"),  # the reports of the last hours
    )

    def to_record(self) -> AppealLinkRecord:
        values = fields_of(self, AppealLinkRecord)
        values["details"] = dict(self.details or {})
        return AppealLinkRecord(**values)


class AppealEvent(Base):
    """A change of an appeal's status: when, by whom, with what note (the lifecycle)."""

    __tablename__ = "appeal_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    appeal_number: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(500), default="")

    __table_args__ = (Index("ix_appeal_events_appeal", "appeal_number", "id"),)

    def to_record(self) -> AppealEventRecord:
        return AppealEventRecord(**fields_of(self, AppealEventRecord))


class MeterReading(Base):
    """A meter reading: passed by a caller (with its call and appeal) or imported."""

    __tablename__ = "meter_readings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_number: Mapped[str] = mapped_column(String(20))
    read_at: Mapped[datetime] = mapped_column(UTCDateTime)
    values: Mapped[list[int]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(64))
    appeal_number: Mapped[str | None] = mapped_column(String(20))
    call_uid: Mapped[str | None] = mapped_column(ForeignKey("calls.call_uid", ondelete="CASCADE"))
    test: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_meter_readings_account", "account_number", "read_at"),)

    def to_record(self) -> MeterReadingRecord:
        values = fields_of(self, MeterReadingRecord)
        values["values"] = list(self.values)
        return MeterReadingRecord(**values)


class TopicVersion(Base):
    """The topic catalogue over time, so old records keep their meaning after it changes."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    role: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(300))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("role", "code", "valid_from", name="uq_topics_role_code_from"),
        Index("ix_topics_role_code", "role", "code"),
    )


def fields_of(row: Base, record_type: type) -> dict[str, Any]:
    """A row's values for the record dataclass's fields that are columns of its table."""
    columns = row.__table__.columns
    return {
        f.name: getattr(row, f.name) for f in dataclasses.fields(record_type) if f.name in columns
    }


def columns_of(record: Any, model: type[Base]) -> dict[str, Any]:
    """A record's values for the model's columns that are fields of the record."""
    names = {f.name for f in dataclasses.fields(record)}
    return {c.key: getattr(record, c.key) for c in model.__table__.columns if c.key in names}


# -- outage data (ivr.store.outages): outages with every restoration estimate, and the
# hourly outage schedules (ГПВ) with every version of a day ------------------------------


class OutageRow(Base):
    """An emergency or planned outage; its id is unique per source."""

    __tablename__ = "outages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64))
    outage_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    settlement: Mapped[str] = mapped_column(String(200))
    settlement_key: Mapped[str] = mapped_column(String(200))  # ivr.outages.names
    streets: Mapped[list[str]] = mapped_column(JSON, default=list)
    houses: Mapped[list[str]] = mapped_column(JSON, default=list)
    feeder: Mapped[str | None] = mapped_column(String(64))
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(1000), default="")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    restorations: Mapped[list[RestorationRow]] = relationship(
        order_by="RestorationRow.id", lazy="selectin", cascade="all, delete-orphan"
    )
    # The index rows of the look-ups; a read takes the groups and streets from the JSON
    # columns, so these load only when an import replaces them.
    group_rows: Mapped[list[OutageGroupRow]] = relationship(cascade="all, delete-orphan")
    street_rows: Mapped[list[OutageStreetRow]] = relationship(cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("source", "outage_id", name="uq_outages_source_id"),
        Index("ix_outages_status_settlement", "status", "settlement_key"),
        Index("ix_outages_status_feeder", "status", "feeder"),
    )


class OutageStreetRow(Base):
    """A street an outage names, by its comparison key (the street look-up's index)."""

    __tablename__ = "outage_streets"

    outage_pk: Mapped[int] = mapped_column(
        ForeignKey("outages.id", ondelete="CASCADE"), primary_key=True
    )
    street_key: Mapped[str] = mapped_column(String(200), primary_key=True)

    __table_args__ = (Index("ix_outage_streets_street", "street_key"),)


class OutageGroupRow(Base):
    """A ГПВ group an outage covers (the groups look-up's index)."""

    __tablename__ = "outage_groups"

    outage_pk: Mapped[int] = mapped_column(
        ForeignKey("outages.id", ondelete="CASCADE"), primary_key=True
    )
    grp: Mapped[str] = mapped_column(String(16), primary_key=True)

    __table_args__ = (Index("ix_outage_groups_grp", "grp"),)


class RestorationRow(Base):
    """One restoration estimate of an outage; revisions are added, never overwritten."""

    __tablename__ = "outage_restorations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    outage_pk: Mapped[int] = mapped_column(ForeignKey("outages.id", ondelete="CASCADE"))
    at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_outage_restorations_outage", "outage_pk"),)


class ScheduleDayRow(Base):
    """One version of a group's schedule for one day; the current one is the latest."""

    __tablename__ = "schedule_days"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    grp: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    off: Mapped[list[list[int]]] = mapped_column(JSON, default=list)  # [[start, end], ...]
    source: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)  # as the source says
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when it was stored

    __table_args__ = (Index("ix_schedule_days_grp_day", "grp", "day", "id"),)


class OutageFetchRow(Base):
    """The last successful fetch of a source (``ivr outages watch``, pushes): data that did
    not change is still fresh as of then."""

    __tablename__ = "outage_fetches"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)


# -- the customer registry (ivr.accounts): personal data, read by ivr.store.accounts ---------


class ConsoleUser(Base):
    """A person who signs in to the web console: a dispatcher (outages), a supervisor
    (reports, appeals) or an admin (everything); only the password's argon2 hash is kept."""

    __tablename__ = "console_users"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the password, the role


class AuditEvent(Base):
    """A change made by a person (web console, ``ivr users``): who, when, what, from what to
    what. Kept as long as the appeals."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64))  # a console user, or "cli:<os user>"
    action: Mapped[str] = mapped_column(String(64))  # "user.add", "outage.restoration", ...
    target: Mapped[str] = mapped_column(String(200))
    before: Mapped[str | None] = mapped_column(String(500))
    after: Mapped[str | None] = mapped_column(String(500))


class RegistryStateRow(Base):
    """The customer registry's version: one row (id 1), counted up by every import in the
    import's transaction, so that a server holding the registry's phone numbers in memory
    (``ivr.store.lookups``) knows when to read them again."""

    __tablename__ = "registry_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class AccountRow(Base):
    """A personal account (особовий рахунок) with its metering point and address."""

    __tablename__ = "accounts"

    number: Mapped[str] = mapped_column(String(20), primary_key=True)
    eic: Mapped[str | None] = mapped_column(String(16), unique=True)
    settlement: Mapped[str] = mapped_column(String(100))
    street: Mapped[str] = mapped_column(String(200))
    house: Mapped[str] = mapped_column(String(20))  # as written: "12-А"
    house_key: Mapped[str] = mapped_column(String(20))  # ivr.accounts.houses.house_key
    supplier: Mapped[str | None] = mapped_column(String(100))
    zones: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (Index("ix_accounts_address", "settlement", "street", "house_key"),)


class _AccountLink:
    """A row of one account's list (its phones, its groups): gone with the account."""

    account_number: Mapped[str] = mapped_column(ForeignKey("accounts.number", ondelete="CASCADE"))


class AccountPhone(_AccountLink, Base):
    """A phone number on record for an account (E.164); numbers may be shared."""

    __tablename__ = "account_phones"

    phone: Mapped[str] = mapped_column(String(16))

    __table_args__ = (
        PrimaryKeyConstraint("account_number", "phone"),
        Index("ix_account_phones_phone", "phone"),
    )


class AccountGroup(_AccountLink, Base):
    """A ГПВ outage-schedule group ("3.1") an account belongs to."""

    __tablename__ = "account_groups"

    group_code: Mapped[str] = mapped_column(String(8))

    __table_args__ = (
        PrimaryKeyConstraint("account_number", "group_code"),
        Index("ix_account_groups_group", "group_code"),
    )
