"""The report of each company a configuration answers for: ``ivr report`` and the web
console's reports page build it here, the same way.

Without profiles every call is the one company's, whatever company id it was recorded with;
with profiles each company's figures are its own. The queue_log indicators take each
company's operator queues (or one queue, or ``*`` for every queue), the file read once per
set of queues.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ivr.config import Config
from ivr.reports.calls import CallReport, build_call_report, empty_call_report
from ivr.reports.periods import Granularity, ReportRange
from ivr.reports.queue_log import QueueIndicators, read_queue_log
from ivr.store.queries import ReportSource


class UnknownCompany(ValueError):
    """The company id is not one of the configuration's."""

    def __init__(self, company_id: str, known: Sequence[str]) -> None:
        super().__init__(f"{company_id!r} is not a company of the config ({', '.join(known)})")
        self.company_id = company_id
        self.known = tuple(known)


@dataclass(frozen=True)
class CompanyReport:
    company: Config
    calls: CallReport
    queue: QueueIndicators | None  # None: no queue_log given


def companies_of(config: Config, company_id: str | None = None) -> list[Config]:
    """The companies reported on: ``company_id``'s alone, or every one (None)."""
    companies = list(config.companies)
    if company_id is None:
        return companies
    chosen = [c for c in companies if c.company.id == company_id]
    if not chosen:
        raise UnknownCompany(company_id, [c.company.id for c in companies])
    return chosen


def call_reports(
    config: Config,
    companies: Sequence[Config],
    source: ReportSource | None,
    rng: ReportRange,
    granularity: Granularity,
    include_test: bool = False,
) -> list[CallReport]:
    """Each company's call report (``source`` None: a database without the IVR's tables)."""
    by_company = bool(config.profiles)
    reports = []
    for company in companies:
        catalogue = company.catalogues[company.company.role]
        role = company.company.role.value
        if source is None:
            reports.append(empty_call_report(rng, granularity, catalogue, role))
        else:
            reports.append(
                build_call_report(
                    source,
                    rng,
                    granularity,
                    catalogue,
                    role,
                    include_test,
                    company.company.id if by_company else None,
                )
            )
    return reports


def queue_indicators(
    companies: Sequence[Config],
    queue_log: Path | None,
    rng: ReportRange,
    granularity: Granularity,
    queue: str | None = None,
) -> list[QueueIndicators | None]:
    """Each company's Resolution 375 indicators from ``queue_log`` (None without one):
    its operator queues, or ``queue`` (``*``: every queue). Raises OSError when the file
    cannot be read."""
    if queue_log is None:
        return [None] * len(companies)
    read: dict[tuple[str, ...] | None, QueueIndicators] = {}  # one read per set of queues
    result: list[QueueIndicators | None] = []
    for company in companies:
        names = None if queue == "*" else ((queue,) if queue else company.operator.queues)
        if names not in read:
            read[names] = read_queue_log(queue_log, rng, names, granularity)
        result.append(read[names])
    return result


def company_reports(
    config: Config,
    source: ReportSource | None,
    rng: ReportRange,
    granularity: Granularity,
    *,
    company_id: str | None = None,
    include_test: bool = False,
    queue_log: Path | None = None,
    queue: str | None = None,
) -> list[CompanyReport]:
    """``call_reports`` and ``queue_indicators`` together, one entry per company."""
    companies = companies_of(config, company_id)
    calls = call_reports(config, companies, source, rng, granularity, include_test)
    queues = queue_indicators(companies, queue_log, rng, granularity, queue)
    return [CompanyReport(c, r, q) for c, r, q in zip(companies, calls, queues, strict=True)]


def companies_csv(tables: list[tuple[str, str]]) -> str:
    """The CSV of each company's report in one: a ``company`` column first when there are
    several, one header line."""
    if len(tables) == 1:
        return tables[0][1]
    lines: list[str] = []
    for i, (company_id, text) in enumerate(tables):
        header, *rows = text.splitlines()
        if i == 0:
            lines.append(f"company,{header}")
        lines += [f"{company_id},{row}" for row in rows]
    return "\n".join(lines) + "\n"
