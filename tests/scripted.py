"""A scripted Asterisk for engine tests: a blocking ``send`` with Asterisk's replies, and an
audio catalogue in which everything (or everything but some ids) is playable.

``ScriptedAsterisk`` answers each command the way Asterisk does (a ``Reply`` with the key's
ASCII code, ``0`` for a timeout, a hang-up as ``AgiHangup``), pressing keys from a script with
the simulator's rules: a key cuts a prompt only if it is one of the prompt's escape digits.
"""

from __future__ import annotations

from ivr import handback
from ivr.agi.types import AgiHangup, Command, Reply
from ivr.simulator import KeyScript, parse_keys

SOUNDS = "/sounds/uk/"


class ScriptedAsterisk:
    """A blocking ``send`` that answers like Asterisk, from a key script; a ``patient``
    caller hears every prompt to its end and presses keys (and hangs up) only when the IVR
    waits."""

    def __init__(self, keys: str, patient: bool = False) -> None:
        self.keys = KeyScript(parse_keys(keys))
        self.patient = patient
        self.commands: list[Command] = []
        self.played: list[tuple[str, str | None]] = []  # (file, key that cut it)
        self.variables: dict[str, str] = {}

    def send(self, command: Command) -> Reply:
        self.commands.append(command)
        if command.name == "STREAM FILE":
            if not self.patient and self.keys.hangup_now():
                raise AgiHangup("HANGUP")
            key = None if self.patient else self.keys.during_prompt(command.args[1])
            self.played.append((command.args[0].removeprefix(SOUNDS), key))
            return Reply(200, str(ord(key)) if key else "0", endpos=8000)
        if command.name == "WAIT FOR DIGIT":
            if self.keys.hangup_now():
                raise AgiHangup("HANGUP")
            key = self.keys.on_wait()
            return Reply(200, str(ord(key)) if key else "0")
        if command.name == "SET VARIABLE":
            self.variables[command.args[0]] = command.args[1]
            if command.args[0] == handback.VARIABLE:  # split as the dialplan does
                self.variables.update(handback.split(command.args[1]))
            return Reply(200, "1")
        return Reply(200, "0")  # ANSWER, CHANNEL STATUS...

    @property
    def prompts(self) -> list[str]:
        return [name for name, _key in self.played]


class Everything:
    """An audio catalogue in which every prompt and fragment is playable, except ``missing``."""

    def __init__(self, missing: frozenset[str] = frozenset()) -> None:
        self.missing = missing

    def playable(self, prompt_id: str) -> bool:
        return prompt_id not in self.missing

    def file_for(self, prompt_id: str) -> str:
        return f"{SOUNDS}{prompt_id}"
