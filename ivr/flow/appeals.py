"""Appeals a call registers (it needs follow-up by a person) and reading their numbers."""

from __future__ import annotations

import logging
from collections.abc import Generator, Mapping
from typing import Any

from ivr.accounts.addresses import address_keys, address_text
from ivr.flow.context import FlowContext, Request, Response
from ivr.flow.effects import AllocateAppealNumber
from ivr.speech.grammar import plan_appeal_number
from ivr.store.deadlines import DEFAULT_DEADLINE, appeal_deadline
from ivr.store.records import AppealRecord

log = logging.getLogger(__name__)


def register_appeal(
    ctx: FlowContext, kind: str, details: Mapping[str, Any] | None = None
) -> Generator[Request, Response, AppealRecord | None]:
    """Give the call an appeal number (an effect: a locked state file). None without one (the
    effect failed or timed out): the caller goes on all the same, the error is recorded.
    The identified account and its address go with the appeal, and ``details`` (what the
    caller said)."""
    if not ctx.register_appeals:
        return None
    now = ctx.clock()
    result = yield from ctx.effect(AllocateAppealNumber(now))
    if not result.ok:
        log.error("call %s: no appeal number: %s", ctx.call.call_uid, result.error)
        ctx.fail(f"appeal number: {result.error}")
        return None
    state, config = ctx.state, ctx.config
    topic = config.topics.get(state.topic or "")
    appeal = AppealRecord(
        appeal_number=str(result.value),
        call_uid=ctx.call.call_uid,
        kind=kind,
        channel="phone",
        role=config.company.role.value,
        company=config.company.id,
        topic_code=state.topic,
        topic_label=topic.label if topic else None,
        caller_number=ctx.call.caller.number,
        caller_raw=ctx.call.caller.raw,
        registered_at=now,
        due_at=appeal_deadline(
            topic.deadline if topic else DEFAULT_DEADLINE,
            now,
            config.company.tz,
            config.appeals.holidays,
        ),
        details=dict(details or {}),
    )
    if state.account is not None:
        address = state.account.address
        appeal.account_number = state.account.number
        appeal.address = address_text(address)
        appeal.address_key, appeal.street_key = address_keys(address)
    state.appeals.append(appeal)
    return appeal


def read_appeal_number(
    ctx: FlowContext, number: str, intro_prompt: str
) -> Generator[Request, Response, bool]:
    """Tell the caller the appeal number, digit by digit in groups; skipped, not half said,
    when a fragment has no audio (the operator still sees it in IVR_APPEAL_ID)."""
    plan = plan_appeal_number(number)
    if not ctx.can_say(plan):
        log.error("call %s: appeal number not read: speech fragments missing", ctx.call.call_uid)
        return False
    yield from ctx.play(intro_prompt)
    yield from ctx.say(plan)
    return True
