"""Python port of Asterisk's ``parse_args()`` (res/res_agi.c), the AGI command-line splitter.

Used by the simulator's fake Asterisk and by tests that prove ``quote_arg`` round-trips.
The C function copies characters into the same buffer and writes a NUL at every unquoted
space/tab; arguments are pointers into that buffer. The port mirrors this exactly:

* space and tab separate arguments, unless quoted or escaped;
* ``"`` toggles quoting and never ends a word (``"a"b`` is ``ab``); an opening quote after
  whitespace starts a new argument, so ``""`` is an empty argument;
* ``\\`` escapes the next character (``\\"``, ``\\\\``, ``\\ ``); a lone ``\\x`` gives ``x``;
  a trailing backslash disappears;
* an unterminated quote is tolerated;
* at most ``MAX_ARGS - 1`` (127) arguments; characters that would start another one are
  dropped ("Too many arguments, truncating").
"""

from __future__ import annotations

#: res_agi.c ``MAX_ARGS``.
MAX_ARGS = 128


def split_command_line(line: str) -> list[str]:
    """Split an AGI command line the way Asterisk does (command words included).

    One trailing ``\\n`` is removed first, as ``run_agi()`` does before calling
    ``parse_args()``; a ``\\r`` is NOT removed (Asterisk keeps it). The string ends at the
    first NUL, like the C string it models.
    """
    if line.endswith("\n"):
        line = line[:-1]
    line = line.split("\0", 1)[0]

    out: list[str] = []  # the C buffer; "\0" marks the NULs written at separators
    starts: list[int] = []  # argv[]: indexes into ``out``
    quoted = escaped = False
    whitespace = True

    for ch in line:
        normal = False
        if ch == '"':
            if escaped:
                normal = True
            else:
                quoted = not quoted
                # C has no MAX_ARGS check here (argv overflow); we truncate instead.
                if quoted and whitespace and len(starts) < MAX_ARGS - 1:
                    starts.append(len(out))
                    whitespace = False
                escaped = False
        elif ch in " \t":
            if not quoted and not escaped:
                whitespace = True
                out.append("\0")
            else:
                normal = True
        elif ch == "\\":
            if escaped:
                normal = True
            else:
                escaped = True
        else:
            normal = True

        if normal:
            if whitespace:
                if len(starts) >= MAX_ARGS - 1:
                    continue  # "Too many arguments, truncating": the character is dropped
                starts.append(len(out))
                whitespace = False
            out.append(ch)
            escaped = False

    buf = "".join(out) + "\0"
    return [buf[start : buf.index("\0", start)] for start in starts]
