"""Readable and JSON renderings of a simulated call."""

from __future__ import annotations

import json

from ivr import handback
from ivr.accounts.numbers import mask_account
from ivr.config import Config
from ivr.simulator import Transcript
from ivr.store.appeals import format_appeal_number


def event_line(event: dict[str, object]) -> str:
    kind = event["type"]
    if kind == "call":
        return f"call from {event['caller']} to {event['dialled']}"
    if kind == "answer":
        return "answered"
    if kind == "prompt":
        line = f"  play {event['id']}: «{event['text']}»"
        if event.get("interrupted_by"):
            line += f"  [interrupted by key {event['interrupted_by']}]"
        return line
    if kind == "say":
        line = f"  say: «{event['text']}» ({len(event['fragments'])} fragments)"  # type: ignore[arg-type]
        if event.get("interrupted_by"):
            line += f"  [interrupted by key {event['interrupted_by']}]"
        return line
    if kind == "key":
        return f"key {event['key']}"
    if kind == "timeout":
        return f"no key within {event['ms']} ms"
    if kind == "keys_ran_out":
        return (
            "(the scripted keys ran out: the caller stays silent from here, so the menu "
            "times out; end --keys with h to hang up instead)"
        )
    if kind == "missing_prompt":
        return f"  MISSING prompt file {event['file']}"
    if kind == "set":
        return f"set {event['name']}={event['value']}"
    if kind == "hangup":
        return f"hang-up by {event['by']}"
    if kind == "error":
        return f"ERROR {event.get('reply')}: {event.get('command') or event.get('detail') or ''}"
    if kind == "end":
        return "AGI finished"
    return json.dumps(event, ensure_ascii=False)


def is_fragment(event: dict[str, object]) -> bool:
    """A piece of dynamic speech (``digits/5``, ``pause/group``), not a whole prompt."""
    return event["type"] == "prompt" and "/" in str(event["id"])


def merged_events(events: list[dict[str, object]]) -> list[dict[str, object]]:
    """Consecutive speech fragments as one ``say`` event with the whole Ukrainian text."""
    merged: list[dict[str, object]] = []
    for event in events:
        if (
            is_fragment(event)
            and merged
            and merged[-1]["type"] == "say"
            and not merged[-1].get("interrupted_by")
        ):
            fragments = merged[-1]["fragments"]
            assert isinstance(fragments, list)
            fragments.append(event["id"])
            merged[-1]["text"] = f"{merged[-1]['text']} {event['text']}"
            merged[-1]["interrupted_by"] = event.get("interrupted_by")
        elif is_fragment(event):
            merged.append(
                {
                    "type": "say",
                    "fragments": [event["id"]],
                    "text": event["text"],
                    "interrupted_by": event.get("interrupted_by"),
                }
            )
        else:
            merged.append(event)
    for event in merged:
        if event["type"] == "say":
            event["text"] = (
                " ".join(str(event["text"]).replace("…", ",").split())
                .replace(" ,", ",")
                .strip(", ")
            )
    return merged


def render_text(transcript: Transcript, config: Config) -> str:
    events = "\n".join(event_line(e) for e in merged_events(transcript.events))
    return events + "\n" + render_summary(transcript, config)


def render_summary(transcript: Transcript, config: Config) -> str:
    """What the dialplan was told and what the database holds for the call."""
    lines: list[str] = []
    variables = handback.dialplan_variables(transcript.variables)
    result = variables.get("IVR_RESULT")
    if result:
        target = variables.get("IVR_TRANSFER_TO")
        lines.append(f"dialplan gets: IVR_RESULT={result}" + (f" -> {target}" if target else ""))
    record = transcript.record
    if record is None:
        why = f" ({transcript.record_problem})" if transcript.record_problem else ""
        lines.append(f"recorded: NO CALL RECORD FOUND{why}")
    else:
        topic = config.topics.get(record.topic_code or "")
        topic_text = f"{record.topic_code} ({topic.label})" if topic else (record.topic_code or "-")
        saved = "saved" if transcript.record_saved else "NOT SAVED"
        if not transcript.record_saved and transcript.record_problem:
            saved += f": {transcript.record_problem}"
        lines.append(f"recorded ({saved}): topic {topic_text}, outcome {record.outcome.value}")
        for appeal in record.appeals:
            lines.append(
                f"appeal {format_appeal_number(appeal.appeal_number)} "
                f"({appeal.kind}), answer due by {appeal.due_at.date().isoformat()}"
                + "".join(f", {key} {value}" for key, value in appeal.details.items())
            )
        for link in record.links:
            lines.append(
                f"report linked to appeal {format_appeal_number(link.appeal_number)} "
                "(the same house reported first)"
            )
        for reading in record.readings:
            values = ", ".join(str(value) for value in reading.values)
            lines.append(
                f"meter reading {values} kWh, account {mask_account(reading.account_number)}"
            )
        path = " > ".join(
            step["menu"]
            + (":" + step["key"] if "key" in step else "")
            + (f" ({step['event']})" if "event" in step else "")
            for step in record.path
        )
        lines.append(f"path: {path or '-'}")
    return "\n".join(lines)


def render_json(transcript: Transcript) -> str:
    data = {
        "env": transcript.env,
        "events": transcript.events,
        "variables": handback.dialplan_variables(transcript.variables),
        "record": transcript.record.to_json() if transcript.record else None,
        "record_saved": transcript.record_saved,
        "record_problem": transcript.record_problem,
    }
    return json.dumps(data, ensure_ascii=False, indent=2)
