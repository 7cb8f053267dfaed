"""``action: outage_report``: a caller with no power reports it, and hears an appeal number.

The caller is identified first (by caller ID, else the keypad entry; a caller who cannot be
identified goes to the operator: a report needs an address). A caller whose outage is known
(an active outage at the address, or the group's schedule off now) hears it instead and is
not asked to report. Otherwise the IVR names the account the report goes under (its last
digits) and asks to confirm that address (no: the operator),
asks the option's ``question`` if it has one (an answer marked ``operator`` goes straight to
the operator under its topic: a danger to life is a person's job), then registers the report:
a house that reported within ``outages.report_window`` minutes joins the first report (the
caller hears that appeal's number), otherwise a new ``outage_report`` appeal is made. Then
goodbye: the caller has been served.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

from ivr.accounts.addresses import address_keys
from ivr.accounts.model import Account
from ivr.actions.base import Action, ActionSpec, OptionChecks, YamlPath
from ivr.actions.operator import to_operator
from ivr.actions.outage_status import look_up, say_status
from ivr.config.kinds import AnyOf, Field, Keyed, PromptId, Section, Text, TopicCode
from ivr.config.model import Menu
from ivr.flow.appeals import read_appeal_number, register_appeal
from ivr.flow.context import FlowContext, Request, Response
from ivr.flow.effects import FindOpenReport
from ivr.flow.identify import EVENTS as IDENTIFY_EVENTS
from ivr.flow.identify import LAST_DIGITS, by_caller_id, identify
from ivr.flow.identify import PROMPTS as IDENTIFY_PROMPTS
from ivr.flow.input import Confirmation, ConfirmRequest, confirm
from ivr.flow.next import Stay, Steps
from ivr.outages.say import PROMPTS as STATUS_PROMPTS
from ivr.speech import plan_digits
from ivr.store.records import AppealLinkRecord

PROMPTS = (
    *IDENTIFY_PROMPTS,
    *STATUS_PROMPTS,
    "report_needs_account",
    "report_known_outage",
    "report_address",
    "report_address_confirm",
    "report_other_address",
    "report_registered",
    "report_already",
    "report_appeal_number",
    "report_not_registered",
)

ANSWER = Section(
    fields=(
        Field("code", Text(), "the answer's code, kept in the appeal", required=True),
        Field("operator", TopicCode(), "the topic of the operator it goes straight to"),
    )
)
ANSWER_KEYS = ANSWER.keys
#: an answer's key: one digit (in quotes)
ANSWER_KEY_RE = re.compile(r"^[0-9]$")
#: ``question: {prompt: ID, answers: {"1": CODE, "3": {code: CODE, operator: TOPIC}}}``
QUESTION = Section(
    fields=(
        Field("prompt", PromptId(), "asks the question", required=True),
        Field(
            "answers",
            Keyed(
                keys=Text(pattern=ANSWER_KEY_RE),
                values=AnyOf(options=(Text(), ANSWER)),
                min_items=1,
            ),
            "one digit in quotes -> an answer code, or {code: CODE, operator: TOPIC}",
            required=True,
        ),
    )
)


@dataclass(frozen=True)
class Answer:
    """One answer to the report's question: its code (kept in the appeal), and the topic
    of the operator it goes straight to, if it does."""

    code: str
    operator: str | None = None


@dataclass(frozen=True)
class Question:
    prompt: str
    answers: Mapping[str, Answer]  # by key


@dataclass(frozen=True, kw_only=True)
class OutageReportAction(Action):
    kind: ClassVar[str] = "outage_report"
    question: Question | None = None


def parse(p: OptionChecks, path: YamlPath, data: Mapping[str, Any]) -> OutageReportAction | None:
    ok = p.prompts_exist((*path, "action"), PROMPTS, "outage_report")
    if "question" not in data:
        return OutageReportAction() if ok else None
    question = _question(p, (*path, "question"), data["question"])
    return OutageReportAction(question=question) if ok and question is not None else None


def _question(p: OptionChecks, path: YamlPath, value: Any) -> Question | None:
    """``{prompt: ID, answers: {"1": CODE, "3": {code: CODE, operator: TOPIC}}}``."""
    if not isinstance(value, dict):
        p.report(path, "expected a mapping with 'prompt' and 'answers'")
        return None
    for key in value:
        if key not in QUESTION.keys:
            p.report((*path, key), f"unknown key '{key}': use 'prompt' and 'answers'")
    prompt = p.prompt((*path, "prompt"), value["prompt"]) if "prompt" in value else None
    if "prompt" not in value:
        p.report(path, "missing required key 'prompt'")
    answers = value.get("answers")
    if not isinstance(answers, dict) or not answers:
        p.report((*path, "answers"), 'expected a mapping of keys to answers, e.g. {"1": no_power}')
        return None
    parsed = {}
    for key, answer in answers.items():
        where = (*path, "answers", key)
        if not isinstance(key, str) or not ANSWER_KEY_RE.match(key):
            p.report(where, f"an answer's key is one digit in quotes, got {key!r}")
            continue
        found = _answer(p, where, answer)
        if found is not None:
            parsed[key] = found
    if prompt is None or len(parsed) != len(answers):
        return None
    return Question(prompt, parsed)


def _answer(p: OptionChecks, path: YamlPath, value: Any) -> Answer | None:
    if isinstance(value, str):
        code = p.text(path, value, "an answer code")
        return None if code is None else Answer(code)
    if not isinstance(value, dict) or "code" not in value:
        p.report(path, "expected an answer code, or {code: CODE, operator: TOPIC}")
        return None
    for key in value:
        if key not in ANSWER_KEYS:
            p.report((*path, key), f"unknown key '{key}': use 'code' and 'operator'")
    code = p.text((*path, "code"), value["code"], "an answer code")
    topic = p.topic((*path, "operator"), value["operator"]) if "operator" in value else None
    if code is None or ("operator" in value and topic is None):
        return None
    return Answer(code, topic)


def handle(action: OutageReportAction, ctx: FlowContext, menu: Menu) -> Steps:
    escape = ctx.escape_keys(menu)
    topic = action.topic or menu.topic
    account = ctx.state.account or (yield from by_caller_id(ctx, menu))
    if account is None:
        yield from ctx.play("report_needs_account")
        account = yield from identify(ctx, menu)
        if account is None:
            return (yield from to_operator(ctx, topic, forced=True))
    tz = ctx.config.company.tz
    report = yield from look_up(ctx, account)  # failed: take the report all the same
    if report is not None and report.explains_no_power(account.groups, ctx.clock(), tz):
        key = yield from ctx.play("report_known_outage", escape)
        if key is None:
            key = yield from say_status(ctx, report, account, escape, menu)
        if key is None:
            ctx.state.served = True
        return Stay(pending=key)
    answer = yield from _confirm_address(ctx, account)
    if answer is not Confirmation.YES:
        if answer is Confirmation.NO:
            yield from ctx.play("report_other_address")
        return (yield from to_operator(ctx, topic, forced=True))
    details: dict[str, str] = {}
    if action.question is not None:
        chosen = yield from _ask(ctx, menu, action.question)
        if chosen is not None and chosen.operator is not None:
            ctx.state.topic = chosen.operator
            return (yield from to_operator(ctx, chosen.operator, forced=True))
        if chosen is not None:
            details["answer"] = chosen.code
    number = yield from _register(ctx, menu, account, details)
    if number is None:
        yield from ctx.play("report_not_registered")
        return (yield from to_operator(ctx, topic, forced=True))
    ctx.state.served = True
    return (yield from ctx.goodbye())


def _confirm_address(
    ctx: FlowContext, account: Account
) -> Generator[Request, Response, Confirmation]:
    """ "...за адресою особового рахунку, номер якого закінчується на 0 0 1 2. Якщо це ваша
    адреса, натисніть 1, якщо ні — 2" (street names have no audio: the account stands for
    its address)."""
    request = ConfirmRequest("report_address_confirm", intro_prompt="report_address")
    return (yield from confirm(ctx, plan_digits(account.number[-LAST_DIGITS:]), request))


def _ask(
    ctx: FlowContext, menu: Menu, question: Question
) -> Generator[Request, Response, Answer | None]:
    """The caller's answer; None after two silences or wrong keys (the report goes on)."""
    keys = "".join(question.answers)
    for _ in range(2):
        key = yield from ctx.play(question.prompt, keys)
        if key is None:
            key = yield from ctx.wait_digit(menu.timeout_ms)
        if key is not None and key in question.answers:
            return question.answers[key]
    return None


def _register(
    ctx: FlowContext, menu: Menu, account: Account, details: dict[str, str]
) -> Generator[Request, Response, str | None]:
    """Join the house's open report, or make a new appeal; the number the caller hears
    (None: no appeal could be made)."""
    now = ctx.clock()
    house, _ = address_keys(account.address)
    since = now - timedelta(minutes=ctx.config.outages.report_window_minutes)
    found = yield from ctx.effect(FindOpenReport(house, since, ctx.call.test))
    if found.ok and found.value:
        first = str(found.value)
        ctx.state.links.append(
            AppealLinkRecord(first, ctx.call.call_uid, ctx.call.caller.number, now, details)
        )
        ctx.step(menu, event="report_linked")
        yield from ctx.play("report_already")
        yield from read_appeal_number(ctx, first, "report_appeal_number")
        return first
    appeal = yield from register_appeal(ctx, "outage_report", details)
    if appeal is None:
        return None
    ctx.step(menu, event="report_registered")
    yield from ctx.play("report_registered")
    yield from read_appeal_number(ctx, appeal.appeal_number, "report_appeal_number")
    return appeal.appeal_number


SPEC = ActionSpec(
    "outage_report",
    OutageReportAction,
    parse,
    handle,
    required=("topic",),
    optional=("question",),
    events=(*IDENTIFY_EVENTS, "report_registered", "report_linked"),
)
