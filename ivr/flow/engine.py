"""The call-flow engine: one generator per call, driven the same way by every transport.

The engine never touches a socket, a file or the database. ``CallFlow.run()`` yields AGI
``Command`` objects and receives ``Reply`` objects (or has ``AgiError`` thrown into it), and
yields ``Effect`` objects (``ivr.flow.effects``: blocking work such as allocating an appeal number)
and receives an ``EffectResult``. ``drive_sync`` and ``drive_async`` connect it to a session
and an effect runner. Process AGI, the FastAGI server and the simulator all use these two
drivers, so they walk exactly the same flow.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from datetime import datetime

from ivr.agi.types import AgiError, AgiHangup, Command, Reply
from ivr.callerid import mask
from ivr.config.model import Action, ActionKind, Config, Menu, Redirect
from ivr.flow.call import Audio, CallContext, utcnow
from ivr.flow.effects import AllocateAppealNumber, Effect, EffectResult, EffectRunner
from ivr.speech.grammar import plan_appeal_number
from ivr.speech.plan import Plan
from ivr.store.appeals import appeal_deadline
from ivr.store.records import AppealRecord, CallRecord, Outcome, Result

log = logging.getLogger(__name__)

#: What a flow yields (an AGI command, or an effect for the transport to run) and receives.
Request = Command | Effect
Response = Reply | EffectResult
Flow = Generator[Request, Response, CallRecord]
Steps = Generator[Request, Response, "_Ending | None"]

#: Menu iterations per call before the engine stops looping and hands the caller to a person.
MAX_MENU_STEPS = 60
#: Times the redirect offer ("press 1 to be connected") is made before saying goodbye.
REDIRECT_OFFERS = 2


class CallCut(Exception):
    """The transport is stopping (SIGTERM drain deadline): hand the caller to a person now."""


@dataclass(frozen=True)
class _Ending:
    result: Result
    outcome: Outcome
    transfer_to: str | None = None


class _Choice:
    """What a caller did at a menu: pressed an option key, pressed a wrong key, or nothing."""

    TIMEOUT = "timeout"
    INVALID = "invalid"
    KEY = "key"

    def __init__(self, kind: str, keys: str = "") -> None:
        self.kind = kind
        self.keys = keys


class CallFlow:
    def __init__(
        self,
        config: Config,
        call: CallContext,
        clock: Callable[[], datetime] = utcnow,
        register_appeals: bool = True,
        audio: Audio | None = None,
    ) -> None:
        self.config = config
        #: What is playable (the audio catalogue); the configuration's prompts by default.
        self.audio: Audio = audio or config.prompts
        self.call = call
        self.clock = clock
        self.register_appeals = register_appeals  # False: no appeal numbers (tests, tools)
        self.appeals: list[AppealRecord] = []
        self.topic: str | None = None
        self.served = False  # an announcement was heard to its end
        self.after_hours = False  # asked for an operator outside working hours
        self.path: list[dict[str, str]] = []
        self.error: str | None = None
        #: Set by the transport (server stopping): at its next reply the flow stops asking and
        #: hands the caller to the operator queue.
        self.cut_reason: str | None = None
        self.handing_back = False  # the hand-back has begun: nothing may cut it any more
        self.interrupted = False  # the transport gave up on the call (see ``interrupt``)

    # -- the whole call -------------------------------------------------------------------

    def run(self) -> Flow:
        ending: _Ending | None = None
        hung_up = False
        try:
            yield Command("ANSWER")
            ending = yield from self._menus()
        except CallCut as cut:  # the server is stopping: a person takes the call, on purpose
            self.error = f"call cut: {cut}; handed to the operator queue"
            log.warning("call %s: %s", self.call.call_uid, self.error)
            self.topic = self.topic or self.config.operator.topic
            ending = _Ending(Result.OPERATOR, Outcome.OPERATOR, self.config.operator.queue)
        except AgiHangup:
            hung_up = True
        except AgiError as exc:  # Asterisk refused a command: our bug or a broken peer
            self.error = f"AGI error: {exc}"
            log.error("call %s: %s; sending the caller to the operator", self.call.call_uid, exc)
            ending = _Ending(Result.OPERATOR, Outcome.FAILED, self.config.operator.queue)
        except Exception as exc:  # a caller must never be dropped by a bug
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception(
                "call %s: flow failed; sending the caller to the operator", self.call.call_uid
            )
            ending = _Ending(Result.OPERATOR, Outcome.FAILED, self.config.operator.queue)

        if self.interrupted:
            ending = _Ending(Result.HANGUP, Outcome.INTERRUPTED)
        elif hung_up or ending is None:
            if self.served:
                outcome = Outcome.SELF_SERVED
            else:
                outcome = Outcome.AFTER_HOURS if self.after_hours else Outcome.ABANDONED
            ending = _Ending(Result.HANGUP, outcome)
        self.handing_back = True
        handed = yield from self._hand_back(ending, hung_up)
        record = self._record(ending)
        if not handed:
            record.result = None  # the dialplan got nothing: its fallback decided
        if not handed and not hung_up and not self.interrupted:  # the connection broke
            record.error = (f"{self.error}; " if self.error else "") + (
                "no result reached the dialplan (connection unusable): its fallback took the caller"
            )
        log.info(
            "call %s from %s to %s ended: %s (%s) topic=%s",
            record.call_uid,
            mask(record.caller_number or record.caller_raw),
            record.dialled_number,
            record.outcome.value,
            record.result.value if record.result else "-",
            record.topic_code or "-",
        )
        return record

    def _hand_back(self, ending: _Ending, hung_up: bool) -> Generator[Request, Response, bool]:
        """Tell the dialplan what to do next through channel variables (dead-safe commands).

        Returns whether ``IVR_RESULT`` (the last one) was set. An interrupted call hands
        nothing back: the dialplan's fallback decides."""
        if self.interrupted:
            return False
        # IVR_RESULT goes last: the dialplan acts on it only when it is set, and then every
        # other variable is set too (a server killed half-way leaves no half decision).
        variables = {
            "IVR_TRANSFER_TO": ending.transfer_to or "",
            "IVR_TOPIC": self.topic or "",
            "IVR_CALL_ID": self.call.call_uid,
            "IVR_APPEAL_ID": self.appeals[-1].appeal_number if self.appeals else "",
            "IVR_RESULT": ending.result.value,
        }
        try:
            for name, value in variables.items():
                yield Command("SET VARIABLE", (name, value))
        except AgiError as exc:
            if not hung_up and not isinstance(exc, AgiHangup):
                log.error("call %s: could not set %s: %s", self.call.call_uid, name, exc)
            return False
        return True

    def interrupt(self, reason: str) -> None:
        """The transport gives up on the call (it must close now): from here every command
        fails, and the call is recorded ``interrupted`` with ``reason``."""
        self.interrupted = True
        self.error = reason

    def start_record(self) -> CallRecord:
        """The call as recorded if the IVR dies now: journalled when the call starts."""
        record = self._record(
            _Ending(Result.HANGUP, Outcome.INTERRUPTED), ended_at=self.call.started_at
        )
        record.result = None
        record.error = (
            "the IVR stopped before the call ended (server killed, crash or power "
            "cut); the end time is unknown, the dialplan's fallback took the caller"
        )
        return record

    def _record(self, ending: _Ending, ended_at: datetime | None = None) -> CallRecord:
        caller = self.call.caller
        return CallRecord(
            call_uid=self.call.call_uid,
            started_at=self.call.started_at,
            ended_at=ended_at or self.clock(),
            caller_raw=caller.raw,
            caller_number=caller.number,
            caller_name=caller.name,
            dialled_number=self.call.dialled_number,
            unique_id=self.call.unique_id,
            channel=self.call.channel,
            transport=self.call.transport,
            role=self.config.company.role.value,
            outcome=ending.outcome,
            result=ending.result,
            transfer_to=ending.transfer_to,
            topic_code=self.topic,
            path=self.path,
            error=self.error,
            appeals=self.appeals,
            test=self.call.test,
        )

    # -- menus ---------------------------------------------------------------------------

    def _menus(self) -> Generator[Request, Response, _Ending]:
        cfg = self.config
        stack = [cfg.entry_menu]
        heard: set[str] = set()  # menus whose long greeting was played
        invalid = timeouts = 0
        pending: str | None = None  # a key pressed during an announcement
        for _ in range(MAX_MENU_STEPS):
            menu = cfg.menus[stack[-1]]
            if pending is None:
                greeting = menu.short_greeting if menu.name in heard else menu.greeting
                heard.add(menu.name)
            else:
                greeting = ()
            choice = yield from self._ask(menu, greeting, pending)
            pending = None

            if choice.kind != _Choice.KEY:
                if choice.kind == _Choice.TIMEOUT:
                    timeouts += 1
                    self._step(menu, event="timeout")
                    prompt = menu.timeout_prompt
                else:
                    invalid += 1
                    self._step(menu, key=choice.keys, event="invalid")
                    prompt = menu.invalid_prompt
                if max(invalid, timeouts) >= menu.max_failures:
                    self._step(menu, event="max_failures")
                    return (yield from self._forced_operator(menu.topic))
                yield from self._play(prompt, "")
                continue

            action = menu.options[choice.keys]
            self._step(menu, key=choice.keys, action=action.kind.value)
            if action.topic:
                self.topic = action.topic
            kind = action.kind
            if kind in (ActionKind.MENU, ActionKind.BACK, ActionKind.MAIN, ActionKind.REPEAT):
                if kind is ActionKind.MENU:
                    stack.append(action.menu or cfg.entry_menu)
                elif kind is ActionKind.BACK and len(stack) > 1:
                    stack.pop()
                elif kind is ActionKind.MAIN:
                    del stack[1:]
                else:  # repeat (and back from the entry menu): the long greeting again
                    heard.discard(menu.name)
                invalid = timeouts = 0
            elif kind is ActionKind.ANNOUNCE:
                pending = yield from self._announce(action, menu)
                if action.then == "hangup" and pending is None:
                    return (yield from self._goodbye(()))
            elif kind is ActionKind.OPERATOR:
                ending = yield from self._operator(action.topic or menu.topic, forced=False)
                if ending is not None:
                    return ending
            elif kind is ActionKind.TRANSFER:
                return _Ending(Result.TRANSFER, Outcome.TRANSFERRED, action.number)
            elif kind is ActionKind.REDIRECT:
                ending = yield from self._redirect(cfg.redirects[action.redirect or ""], menu)
                if ending is not None:
                    return ending
            elif kind is ActionKind.HANGUP:
                self.served = True
                return (yield from self._goodbye(action.prompts))
        log.warning(
            "call %s: %d menu steps without an ending; to the operator",
            self.call.call_uid,
            MAX_MENU_STEPS,
        )
        self._step(cfg.menus[stack[-1]], event="loop_guard")
        return (yield from self._forced_operator(None))

    def _forced_operator(self, topic: str | None) -> Generator[Request, Response, _Ending]:
        """The menu gave up on the caller: an operator, or goodbye out of hours (never None)."""
        ending = yield from self._operator(topic, forced=True)
        assert ending is not None  # forced: the operator or goodbye, never back to the menu
        return ending

    def _step(self, menu: Menu, key: str = "", action: str = "", event: str = "") -> None:
        step = {"menu": menu.name}
        if key:
            step["key"] = key
        if action:
            step["action"] = action
        if event:
            step["event"] = event
        self.path.append(step)

    def _ask(
        self, menu: Menu, prompts: tuple[str, ...], pending: str | None
    ) -> Generator[Request, Response, _Choice]:
        """Play the menu prompts with barge-in and collect one option key sequence."""
        escape = "".join(sorted({key[0] for key in menu.options}))
        digit = pending
        for prompt_id in prompts:
            if digit is not None:
                break
            digit = yield from self._play(prompt_id, escape)
        if digit is None:
            digit = yield from self._wait_digit(menu.timeout_ms)
            if digit is None:
                return _Choice(_Choice.TIMEOUT)
        keys = digit
        while any(k != keys and k.startswith(keys) for k in menu.options):
            more = yield from self._wait_digit(menu.inter_digit_timeout_ms)
            if more is None:
                break
            keys += more
        if keys in menu.options:
            return _Choice(_Choice.KEY, keys)
        return _Choice(_Choice.INVALID, keys)

    # -- actions -------------------------------------------------------------------------

    def _announce(self, action: Action, menu: Menu) -> Generator[Request, Response, str | None]:
        """Play an announcement; a menu key pressed during it is returned as the next choice."""
        escape = "".join(sorted({key[0] for key in menu.options}))
        for prompt_id in action.prompts:
            digit = yield from self._play(prompt_id, escape)
            if digit is not None:
                return digit
        self.served = True
        return None

    def _operator(self, topic: str | None, forced: bool) -> Steps:
        """Hand the caller to the operator queue, or explain that operators are off duty.

        Returns None when the caller pressed the operator key out of hours: the menu goes on.
        """
        cfg = self.config
        if self.topic is None:
            self.topic = topic or cfg.operator.topic
        company = cfg.company
        if company.working_hours.is_open(self.clock(), company.tz):
            appeal = yield from self._register_appeal("operator")
            if appeal is not None and cfg.operator.appeal_prompt:
                yield from self._read_appeal_number(appeal.appeal_number)
            yield from self._play(cfg.operator.connecting_prompt, "")
            outcome = Outcome.FAILED if self.error else Outcome.OPERATOR
            return _Ending(Result.OPERATOR, outcome, cfg.operator.queue)
        self.after_hours = True
        yield from self._play(cfg.operator.closed_prompt, "")
        if not forced:
            return None
        return (yield from self._goodbye((), Outcome.AFTER_HOURS))

    def _register_appeal(self, kind: str) -> Generator[Request, Response, AppealRecord | None]:
        """Give the call an appeal number (an effect: a locked state file): it needs follow-up
        by a person. Without a number the caller still reaches the operator."""
        if not self.register_appeals:
            return None
        now = self.clock()
        result = yield AllocateAppealNumber(now)
        assert isinstance(result, EffectResult)
        if not result.ok:
            log.error("call %s: no appeal number: %s", self.call.call_uid, result.error)
            self.error = self.error or f"appeal number: {result.error}"
            return None
        number = str(result.value)
        topic = self.config.topics.get(self.topic or "")
        appeal = AppealRecord(
            appeal_number=number,
            call_uid=self.call.call_uid,
            kind=kind,
            channel="phone",
            role=self.config.company.role.value,
            topic_code=self.topic,
            topic_label=topic.label if topic else None,
            caller_number=self.call.caller.number,
            caller_raw=self.call.caller.raw,
            registered_at=now,
            due_at=appeal_deadline(self.topic, now, self.config.company.tz),
        )
        self.appeals.append(appeal)
        return appeal

    def _read_appeal_number(self, number: str) -> Generator[Request, Response, None]:
        """Tell the caller the appeal number, digit by digit in groups; skipped, not half
        said, when a fragment has no audio (the operator sees it in IVR_APPEAL_ID)."""
        plan = plan_appeal_number(number)
        if not self.can_say(plan):
            log.error(
                "call %s: appeal number not read: speech fragments missing", self.call.call_uid
            )
            return
        yield from self._play(self.config.operator.appeal_prompt or "", "")
        yield from self._say(plan, "")

    def _redirect(self, redirect: Redirect, menu: Menu) -> Steps:
        """Misrouted caller: say the other company's contacts and offer to transfer there."""
        back_keys = [k for k, a in menu.options.items() if a.kind is ActionKind.BACK]
        escape = redirect.transfer_key + "".join(back_keys)
        digit = None
        for prompt_id in redirect.prompts:
            digit = yield from self._play(prompt_id, escape)
            if digit is not None:
                break
        self.served = True
        for _ in range(REDIRECT_OFFERS):
            if digit is None:
                digit = yield from self._play(redirect.offer_prompt, escape)
            if digit is None:
                digit = yield from self._wait_digit(menu.timeout_ms)
            if digit == redirect.transfer_key:
                self.path.append({"menu": menu.name, "key": digit, "action": "redirect_transfer"})
                return _Ending(Result.REDIRECT, Outcome.REDIRECTED, redirect.number)
            if digit is not None and digit in back_keys:
                self.path.append({"menu": menu.name, "key": digit, "action": "back"})
                return None
            digit = None
        return (yield from self._goodbye((), Outcome.REDIRECTED))

    def _goodbye(
        self, prompts: tuple[str, ...], outcome: Outcome = Outcome.SELF_SERVED
    ) -> Generator[Request, Response, _Ending]:
        for prompt_id in prompts or (self.config.farewell_prompt,):
            yield from self._play(prompt_id, "")
        return _Ending(Result.HANGUP, outcome)

    # -- primitives ----------------------------------------------------------------------

    def _play(self, prompt_id: str, escape: str) -> Generator[Request, Response, str | None]:
        """STREAM FILE with barge-in; returns the key that interrupted it, if any."""
        if not self.audio.playable(prompt_id):
            # The build manifest has no audio for it: never let Asterisk fall back to an
            # English file of that name or fail the command; say nothing and go on.
            log.error(
                "call %s: prompt %r has no built audio; skipped (run 'ivr prompts build')",
                self.call.call_uid,
                prompt_id,
            )
            return None
        reply = yield from self._command(
            Command("STREAM FILE", (self.audio.file_for(prompt_id), escape))
        )
        if reply.value == -1:
            # A missing file and a hang-up both give -1. CHANNEL STATUS tells them apart: on a
            # dead channel it gets 511 (after the HANGUP line or SIGHUP), which ends the call.
            yield Command("CHANNEL STATUS")
            log.warning("call %s: prompt %r could not be played", self.call.call_uid, prompt_id)
            self._check_cut()
            return None
        self._check_cut()
        return reply.digit

    def can_say(self, plan: Plan) -> bool:
        return all(self.audio.playable(fragment_id) for fragment_id in plan)

    def _say(self, plan: Plan, escape: str) -> Generator[Request, Response, str | None]:
        """Play a speech plan (``ivr.speech``: numbers, times, appeal numbers) fragment by
        fragment with barge-in; returns the key that interrupted it, if any.

        A plan with any fragment lacking audio is not played at all: half an appeal number
        would be a wrong number. Check ``self.can_say(plan)`` to offer another way instead.
        """
        if not self.can_say(plan):
            log.error(
                "call %s: speech fragments without built audio; %r not said (run "
                "'ivr prompts build')",
                self.call.call_uid,
                plan.text(),
            )
            return None
        for fragment_id in plan:
            digit = yield from self._play(fragment_id, escape)
            if digit is not None:
                return digit
        return None

    def _wait_digit(self, timeout_ms: int) -> Generator[Request, Response, str | None]:
        reply = yield from self._command(Command("WAIT FOR DIGIT", (str(timeout_ms),)))
        if reply.value == -1:
            raise AgiHangup("WAIT FOR DIGIT returned -1")
        self._check_cut()
        return reply.digit

    @staticmethod
    def _command(command: Command) -> Generator[Request, Response, Reply]:
        """Send one AGI command; its reply."""
        reply = yield command
        assert isinstance(reply, Reply), reply
        return reply

    def _check_cut(self) -> None:
        if self.cut_reason is not None and not self.handing_back:
            raise CallCut(self.cut_reason)


# -- drivers: where the flow meets a session and an effect runner --------------------------


def drive_sync(
    flow: Flow, send: Callable[[Command], Reply], effects: EffectRunner | None = None
) -> CallRecord:
    """Run a flow to its end against a blocking ``send``, effects inline (process AGI,
    simulator). Without a runner every effect fails (and the flow goes on without it)."""
    runner = effects or EffectRunner()
    response: Response | None = None
    error: AgiError | None = None
    while True:
        try:
            request = flow.throw(error) if error else flow.send(response)  # type: ignore[arg-type]
        except StopIteration as stop:
            return stop.value
        if isinstance(request, Effect):
            response, error = runner.run(request), None
            continue
        try:
            response, error = send(request), None
        except AgiError as exc:
            response, error = None, exc


async def drive_async(
    flow: Flow, send: Callable[[Command], Awaitable[Reply]], effects: EffectRunner | None = None
) -> CallRecord:
    """Run a flow to its end against an asynchronous ``send`` (FastAGI server); effects run
    off the event loop when ``effects`` is an ``AsyncEffectRunner``."""
    runner = effects or EffectRunner()
    run_async = getattr(runner, "run_async", None)
    response: Response | None = None
    error: AgiError | None = None
    while True:
        try:
            request = flow.throw(error) if error else flow.send(response)  # type: ignore[arg-type]
        except StopIteration as stop:
            return stop.value
        if isinstance(request, Effect):
            response = await run_async(request) if run_async else runner.run(request)
            error = None
            continue
        try:
            response, error = await send(request), None
        except AgiError as exc:
            response, error = None, exc
