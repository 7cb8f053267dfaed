"""The per-call API that the engine and every action handler work with.

A ``FlowContext`` holds what the call knows (configuration, the call's facts, its state,
the audio catalogue, the clock) and the primitives that talk to Asterisk: play a prompt with
barge-in, say a speech plan, wait for a digit, run an effect. Primitives are generators: a
handler writes ``digit = yield from ctx.play("welcome", "12")``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from datetime import datetime
from typing import Any

from ivr.agi.types import AgiHangup, Command, Reply
from ivr.config.model import Config, Menu
from ivr.flow.call import Audio, CallContext
from ivr.flow.effects import Effect, EffectResult
from ivr.flow.next import End, Next
from ivr.flow.state import CallState
from ivr.speech.plan import Plan
from ivr.store.records import Outcome, Result

log = logging.getLogger(__name__)

#: What a flow yields (an AGI command, or an effect for the transport to run) and receives.
Request = Command | Effect
Response = Reply | EffectResult
Gen = Generator[Request, Response, Any]


def _no_runner(action: Any, ctx: FlowContext, menu: Menu) -> Generator[Any, Any, Next]:
    raise RuntimeError("no engine runs this context's options")


class CallCut(Exception):
    """The transport is stopping (SIGTERM drain deadline): hand the caller to a person now."""


class FlowContext:
    def __init__(
        self,
        config: Config,
        call: CallContext,
        clock: Callable[[], datetime],
        audio: Audio,
        register_appeals: bool = True,
    ) -> None:
        self.config = config
        self.call = call
        self.clock = clock
        self.audio = audio
        self.register_appeals = register_appeals  # False: no appeal numbers (tests, tools)
        self.state = CallState()
        #: Set by the transport (server stopping): at its next reply the flow stops asking and
        #: hands the caller to the operator queue.
        self.cut_reason: str | None = None
        self.handing_back = False  # the hand-back has begun: nothing may cut it any more
        #: Runs an option's handler with this context (set by the engine, which knows the
        #: action registry): a plain function, so that no call leaves a reference cycle for
        #: the garbage collector.
        self.option_runner: Callable[[Any, FlowContext, Menu], Generator[Any, Any, Next]] = (
            _no_runner
        )

    def run_option(self, action: Any, menu: Menu) -> Generator[Any, Any, Next]:
        """Run an option's action with this context: for actions that choose another
        option, such as ``when_open``."""
        return self.option_runner(action, self, menu)

    # -- talking to Asterisk ---------------------------------------------------------------

    @staticmethod
    def command(command: Command) -> Generator[Request, Response, Reply]:
        """Send one AGI command; its reply."""
        reply = yield command
        assert isinstance(reply, Reply), reply
        return reply

    def play(self, prompt_id: str, escape: str = "") -> Generator[Request, Response, str | None]:
        """STREAM FILE with barge-in; returns the key that interrupted it, if any."""
        if not self.audio.playable(prompt_id):
            # No built audio: never let Asterisk fall back to an English file of that name or
            # fail the command; say nothing and go on.
            log.error(
                "call %s: prompt %r has no built audio; skipped (run 'ivr prompts build')",
                self.call.call_uid,
                prompt_id,
            )
            return None
        reply = yield from self.command(
            Command("STREAM FILE", (self.audio.file_for(prompt_id), escape))
        )
        if reply.value == -1:
            # A hang-up the session already saw (the HANGUP line res_agi writes right after
            # the -1, or SIGHUP) never gets here: the session raises AgiHangup for that -1.
            # Without it, a missing file and a hang-up still both give -1: CHANNEL STATUS
            # tells them apart (511 on a dead channel ends the call).
            yield Command("CHANNEL STATUS")
            log.warning("call %s: prompt %r could not be played", self.call.call_uid, prompt_id)
            self.check_cut()
            return None
        self.check_cut()
        return reply.digit

    def play_all(
        self, prompts: tuple[str, ...], escape: str = ""
    ) -> Generator[Request, Response, str | None]:
        """Play prompts in order until a key in ``escape`` interrupts one; that key."""
        for prompt_id in prompts:
            digit = yield from self.play(prompt_id, escape)
            if digit is not None:
                return digit
        return None

    def can_say(self, plan: Plan) -> bool:
        return all(self.audio.playable(fragment_id) for fragment_id in plan)

    def say(self, plan: Plan, escape: str = "") -> Generator[Request, Response, str | None]:
        """Play a speech plan (``ivr.speech``: numbers, times, appeal numbers) fragment by
        fragment with barge-in; returns the key that interrupted it, if any.

        A plan with any fragment lacking audio is not played at all: half an appeal number
        would be a wrong number. Check ``can_say(plan)`` to offer another way instead.
        """
        if not self.can_say(plan):
            log.error(
                "call %s: speech fragments without built audio; %r not said (run "
                "'ivr prompts build')",
                self.call.call_uid,
                plan.text(),
            )
            return None
        return (yield from self.play_all(tuple(plan), escape))

    def wait_digit(self, timeout_ms: int) -> Generator[Request, Response, str | None]:
        """WAIT FOR DIGIT; the key, or None after ``timeout_ms`` of silence."""
        reply = yield from self.command(Command("WAIT FOR DIGIT", (str(timeout_ms),)))
        if reply.value == -1:
            raise AgiHangup("WAIT FOR DIGIT returned -1")
        self.check_cut()
        return reply.digit

    def effect(self, effect: Effect) -> Generator[Request, Response, EffectResult]:
        """Ask the transport to run blocking work; its result (check ``ok``: it may have
        failed or timed out, and the caller must still get somewhere)."""
        result = yield effect
        assert isinstance(result, EffectResult), result
        return result

    def check_cut(self) -> None:
        if self.cut_reason is not None and not self.handing_back:
            raise CallCut(self.cut_reason)

    # -- common steps -------------------------------------------------------------------------

    def goodbye(
        self, prompts: tuple[str, ...] = (), outcome: Outcome = Outcome.SELF_SERVED
    ) -> Generator[Request, Response, End]:
        """Say goodbye (``prompts``, or the configured farewell) and end the call."""
        for prompt_id in prompts or (self.config.farewell_prompt,):
            yield from self.play(prompt_id)
        return End(Result.HANGUP, outcome)

    def step(self, menu: Menu, key: str = "", action: str = "", event: str = "") -> None:
        """Note a step in the call's path (kept in the record)."""
        step = {"menu": menu.name}
        if key:
            step["key"] = key
        if action:
            step["action"] = action
        if event:
            step["event"] = event
        self.state.path.append(step)

    def fail(self, message: str) -> None:
        """Remember the first problem of the call (the record's ``error``)."""
        self.state.error = self.state.error or message

    @staticmethod
    def escape_keys(menu: Menu) -> str:
        """The keys that interrupt a prompt in ``menu``: the first key of every option."""
        return "".join(sorted({key[0] for key in menu.options}))
