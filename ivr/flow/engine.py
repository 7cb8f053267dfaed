"""The call-flow engine: one generator per call, driven the same way by every transport.

``CallFlow.run()`` yields AGI ``Command`` objects and receives ``Reply`` objects (or has
``AgiError`` thrown into it), and yields ``Effect`` objects (blocking work such as allocating
an appeal number) and receives an ``EffectResult``; ``ivr.flow.drive`` connects it to a
transport. The engine walks the menus: it plays a menu, reads the caller's choice, and hands
the chosen option to its action's handler (``ivr.actions``), whose typed result (``Stay``,
``GoTo``, ``GoBack``, ``GoMain``, ``Replay``, ``End``) says where the call goes next. At the
end it hands the result back to the dialplan and returns the call's record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ivr import handback
from ivr.actions.operator import forced_operator
from ivr.actions.registry import spec_for
from ivr.agi.types import AgiError, AgiHangup, Command
from ivr.callerid import mask
from ivr.config.model import Config, Menu
from ivr.flow.call import Audio, CallContext, utcnow
from ivr.flow.context import CallCut, FlowContext, Request, Response
from ivr.flow.next import End, GoBack, GoMain, GoTo, Next, Replay, Stay
from ivr.flow.state import CallState
from ivr.store.records import CallRecord, Outcome, Result

log = logging.getLogger(__name__)

Flow = Generator[Request, Response, CallRecord]

#: Menu iterations per call before the engine stops looping and hands the caller to a person.
MAX_MENU_STEPS = 60


@dataclass(frozen=True)
class _Choice:
    """What a caller did at a menu: an option's keys, wrong keys (``invalid``) or silence."""

    keys: str = ""
    valid: bool = False


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
        self.call = call
        #: The call's context: its state and the primitives its handlers use. ``audio`` is
        #: what is playable (the audio catalogue); the configuration's prompts by default.
        self.ctx = FlowContext(config, call, clock, audio or config.prompts, register_appeals)
        self.ctx.option_runner = _run_option
        self.interrupted = False  # the transport gave up on the call (see ``interrupt``)

    @property
    def cut_reason(self) -> str | None:
        return self.ctx.cut_reason

    @cut_reason.setter
    def cut_reason(self, reason: str | None) -> None:
        """Set by the transport (server stopping): at its next reply the flow stops asking
        and hands the caller to the operator queue."""
        self.ctx.cut_reason = reason

    # -- the whole call -------------------------------------------------------------------

    def run(self) -> Flow:
        ctx, state = self.ctx, self.ctx.state
        ending: End | None = None
        hung_up = False
        try:
            yield Command("ANSWER")
            ending = yield from self._menus()
        except CallCut as cut:  # the server is stopping: a person takes the call, on purpose
            state.error = f"call cut: {cut}; handed to the operator queue"
            log.warning("call %s: %s", self.call.call_uid, state.error)
            state.topic = state.topic or self.config.operator.topic
            ending = End(Result.OPERATOR, Outcome.OPERATOR, self.config.operator.queue)
        except AgiHangup:
            hung_up = True
        except AgiError as exc:  # Asterisk refused a command: our bug or a broken peer
            state.error = f"AGI error: {exc}"
            log.error("call %s: %s; sending the caller to the operator", self.call.call_uid, exc)
            ending = End(Result.OPERATOR, Outcome.FAILED, self.config.operator.queue)
        except Exception as exc:  # a caller must never be dropped by a bug
            state.error = f"{type(exc).__name__}: {exc}"
            log.exception(
                "call %s: flow failed; sending the caller to the operator", self.call.call_uid
            )
            ending = End(Result.OPERATOR, Outcome.FAILED, self.config.operator.queue)

        if self.interrupted:
            ending = End(Result.HANGUP, Outcome.INTERRUPTED)
        elif hung_up or ending is None:
            if state.served:
                outcome = Outcome.SELF_SERVED
            else:
                outcome = Outcome.AFTER_HOURS if state.after_hours else Outcome.ABANDONED
            ending = End(Result.HANGUP, outcome)
        ctx.handing_back = True
        handed = yield from self._hand_back(ending, hung_up)
        record = self._record(ending)
        if not handed:
            record.result = None  # the dialplan got nothing: its fallback decided
        if not handed and not hung_up and not self.interrupted:  # the connection broke
            record.error = (f"{state.error}; " if state.error else "") + (
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

    def _hand_back(self, ending: End, hung_up: bool) -> Generator[Request, Response, bool]:
        """Tell the dialplan what to do next: one dead-safe ``SET VARIABLE IVR`` whose
        fields the dialplan splits into IVR_RESULT, IVR_TRANSFER_TO, IVR_TOPIC, IVR_CALL_ID
        and IVR_APPEAL_ID (``ivr.handback``).

        Returns whether it was set. One variable is atomic: the dialplan gets the whole
        decision or none of it (then its fallback decides). An interrupted call hands
        nothing back: the dialplan's fallback decides."""
        if self.interrupted:
            return False
        state = self.ctx.state
        value = handback.join(
            ending.result.value,
            ending.transfer_to or "",
            state.topic or "",
            self.call.call_uid,
            _appeal_id(state),
        )
        try:
            yield Command("SET VARIABLE", (handback.VARIABLE, value))
        except AgiError as exc:
            if not hung_up and not isinstance(exc, AgiHangup):
                log.error(
                    "call %s: could not set %s: %s", self.call.call_uid, handback.VARIABLE, exc
                )
            return False
        return True

    def interrupt(self, reason: str) -> None:
        """The transport gives up on the call (it must close now): from here every command
        fails, and the call is recorded ``interrupted`` with ``reason``."""
        self.interrupted = True
        self.ctx.state.error = reason

    def start_record(self) -> CallRecord:
        """The call as recorded if the IVR dies now: journalled when the call starts."""
        record = self._record(
            End(Result.HANGUP, Outcome.INTERRUPTED), ended_at=self.call.started_at
        )
        record.result = None
        # its own lists: the journal writes it later, from another thread, while the call
        # goes on appending to the state's
        record.path = list(record.path)
        record.appeals, record.links, record.readings = [], [], []
        record.error = (
            "the IVR stopped before the call ended (server killed, crash or power "
            "cut); the end time is unknown, the dialplan's fallback took the caller"
        )
        return record

    def _record(self, ending: End, ended_at: datetime | None = None) -> CallRecord:
        call, state = self.call, self.ctx.state
        return CallRecord(
            call_uid=call.call_uid,
            started_at=call.started_at,
            ended_at=ended_at or self.ctx.clock(),
            caller_raw=call.caller.raw,
            caller_number=call.caller.number,
            caller_name=call.caller.name,
            dialled_number=call.dialled_number,
            unique_id=call.unique_id,
            channel=call.channel,
            transport=call.transport,
            role=self.config.company.role.value,
            company=self.config.company.id,
            outcome=ending.outcome,
            result=ending.result,
            transfer_to=ending.transfer_to,
            topic_code=state.topic,
            path=state.path,
            error=state.error,
            appeals=state.appeals,
            links=state.links,
            test=call.test,
            account_number=state.account.number if state.account else None,
            redirect_company=state.redirect_company,
            readings=state.readings,
        )

    # -- menus ---------------------------------------------------------------------------

    def _menus(self) -> Generator[Request, Response, End]:
        ctx, state, menus = self.ctx, self.ctx.state, self.config.menus
        state.stack = [self.config.entry_menu]
        pending: str | None = None  # a key pressed during an action: the next choice
        for _ in range(MAX_MENU_STEPS):
            menu = menus[state.stack[-1]]
            if pending is None:
                greeting = menu.short_greeting if menu.name in state.heard else menu.greeting
                state.heard.add(menu.name)
            else:
                greeting = ()
            choice = yield from self._ask(menu, greeting, pending)
            pending = None
            if not choice.valid:
                if (yield from self._failed(menu, choice)):
                    return (yield from forced_operator(ctx, menu.topic))
                continue
            action = menu.options[choice.keys]
            ctx.step(menu, key=choice.keys, action=action.kind)
            if action.topic:
                state.topic = action.topic
            after: Next = yield from ctx.run_option(action, menu)
            if isinstance(after, End):
                return after
            if isinstance(after, Stay):
                pending = after.pending
                continue
            if isinstance(after, GoTo):
                state.stack.append(after.menu)
            elif isinstance(after, GoBack) and len(state.stack) > 1:
                state.stack.pop()
            elif isinstance(after, GoMain):
                del state.stack[1:]
            else:  # Replay (and back from the entry menu): the full greeting again
                assert isinstance(after, Replay | GoBack), after
                state.heard.discard(menu.name)
            state.invalid = state.timeouts = 0
        log.warning(
            "call %s: %d menu steps without an ending; to the operator",
            self.call.call_uid,
            MAX_MENU_STEPS,
        )
        ctx.step(menus[state.stack[-1]], event="loop_guard")
        return (yield from forced_operator(ctx, None))

    def _failed(self, menu: Menu, choice: _Choice) -> Generator[Request, Response, bool]:
        """Count a wrong key or a silence; True when the menu gives up on the caller."""
        ctx, state = self.ctx, self.ctx.state
        if choice.keys:
            state.invalid += 1
            ctx.step(menu, key=choice.keys, event="invalid")
            prompt = menu.invalid_prompt
        else:
            state.timeouts += 1
            ctx.step(menu, event="timeout")
            prompt = menu.timeout_prompt
        if max(state.invalid, state.timeouts) >= menu.max_failures:
            ctx.step(menu, event="max_failures")
            return True
        yield from ctx.play(prompt)
        return False

    def _ask(
        self, menu: Menu, prompts: tuple[str, ...], pending: str | None
    ) -> Generator[Request, Response, _Choice]:
        """Play the menu prompts with barge-in and collect one option key sequence."""
        ctx = self.ctx
        digit = pending
        if digit is None:
            digit = yield from ctx.play_all(prompts, ctx.escape_keys(menu))
        if digit is None:
            digit = yield from ctx.wait_digit(menu.timeout_ms)
            if digit is None:
                return _Choice()
        keys = digit
        while any(k != keys and k.startswith(keys) for k in menu.options):
            more = yield from ctx.wait_digit(menu.inter_digit_timeout_ms)
            if more is None:
                break
            keys += more
        return _Choice(keys, valid=keys in menu.options)


def _run_option(action: Any, ctx: FlowContext, menu: Menu) -> Generator[Any, Any, Next]:
    """An option's action, by its handler in the registry."""
    return spec_for(action).handle(action, ctx, menu)


def _appeal_id(state: CallState) -> str:
    """``IVR_APPEAL_ID``: the call's last appeal, or the one its report was linked to."""
    if state.appeals:
        return state.appeals[-1].appeal_number
    return state.links[-1].appeal_number if state.links else ""
