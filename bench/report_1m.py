"""Benchmark: `ivr report` figures over one million calls, on SQLite or PostgreSQL.

    python bench/report_1m.py                       # SQLite file in a temporary directory
    python bench/report_1m.py --url postgresql+psycopg://user@host/db   # an empty database
    python bench/report_1m.py --calls 200000        # smaller

Fills the calls and appeals tables with synthetic calls spread over a year (bulk inserts),
then times the report for one month and for the whole year and prints the figures.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from ivr.config import load_config  # noqa: E402
from ivr.reports.calls import build_call_report  # noqa: E402
from ivr.reports.periods import Granularity, ReportRange  # noqa: E402
from ivr.store.models import Appeal, Call
from ivr.store.repository import CallRepository  # noqa: E402

OUTCOMES = ["self_served"] * 5 + ["operator"] * 3 + ["redirected", "abandoned", "failed"]
CHUNK = 20_000


def fill(repo: CallRepository, calls: int, topics: list[str]) -> float:
    rng = random.Random(373)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    span = 365 * 24 * 3600
    began = time.perf_counter()
    with repo.engine.begin() as connection:
        for first in range(0, calls, CHUNK):
            rows, appeals = [], []
            for n in range(first, min(first + CHUNK, calls)):
                started = start + timedelta(seconds=rng.randrange(span))
                outcome = rng.choice(OUTCOMES)
                topic = rng.choice(topics) if outcome != "abandoned" else None
                uid = f"{n:032x}"
                rows.append(
                    {
                        "call_uid": uid,
                        "started_at": started,
                        "ended_at": started + timedelta(seconds=rng.randrange(5, 400)),
                        "caller_raw": "0441234567",
                        "caller_number": "+380441234567",
                        "caller_name": "",
                        "dialled_number": "0800000373",
                        "unique_id": f"{n}.1",
                        "channel": "PJSIP/trunk",
                        "transport": "fastagi",
                        "role": "dso",
                        "topic_code": topic,
                        "outcome": outcome,
                        "result": None,
                        "transfer_to": None,
                        "path": [],
                        "error": None,
                        "duration_ms": rng.randrange(5_000, 400_000),
                    }
                )
                if outcome == "operator":
                    appeals.append(
                        {
                            "appeal_number": f"{n:014d}",
                            "call_uid": uid,
                            "kind": "operator",
                            "channel": "phone",
                            "role": "dso",
                            "topic_code": topic,
                            "topic_label": None,
                            "caller_number": "+380441234567",
                            "caller_raw": "0441234567",
                            "status": "registered",
                            "registered_at": started,
                            "due_at": started + timedelta(days=30),
                        }
                    )
            connection.execute(insert(Call), rows)
            if appeals:
                connection.execute(insert(Appeal), appeals)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--calls", type=int, default=1_000_000)
    args = parser.parse_args()
    config = load_config(Path(__file__).resolve().parent.parent / "config.yaml")
    catalogue = config.catalogues[config.company.role]
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        repo = CallRepository(url)
        repo.ensure_schema()
        print(f"database: {repo.engine.url.render_as_string(hide_password=True)}")
        seconds = fill(repo, args.calls, [t.code for t in catalogue])
        print(f"filled {args.calls} calls in {seconds:.1f} s")
        tz = ZoneInfo(config.company.timezone)
        for title, rng, by in (
            (
                "one month, by day",
                ReportRange(date(2026, 3, 1), date(2026, 3, 31), tz),
                Granularity.DAY,
            ),
            (
                "whole year, by month",
                ReportRange(date(2026, 1, 1), date(2026, 12, 31), tz),
                Granularity.MONTH,
            ),
        ):
            began = time.perf_counter()
            report = build_call_report(repo, rng, by, catalogue, "dso")
            total = time.perf_counter() - began
            sections = ", ".join(f"{k} {v:.2f} s" for k, v in report.timings.items())
            print(
                f"report {title}: {report.total_calls} calls, {report.total_appeals} appeals "
                f"in {total:.2f} s ({sections})"
            )
        repo.dispose()


if __name__ == "__main__":
    main()
