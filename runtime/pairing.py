"""Every tool call answered, every tool result answering a call.

All three APIs refuse a history where a tool call has no result before the next turn, or a result names a
call that is not in the turn before it. Histories that clients trim or compact can end up like that; the
client's own API may have been lenient, the target is not. So for another format, a call without a result
gets a result saying so, and a stray result becomes plain text, each reported.
"""

from __future__ import annotations

from .hub import Message, Part
from .losses import LossCollector

NO_RESULT = "(no result was recorded for this tool call)"

# The calls a message before any assistant turn can answer: none (shared, as it is only ever read).
_NO_CALLS: frozenset[str] = frozenset()


def pair_tool_calls(messages: list[Message], losses: LossCollector) -> list[Message]:
    """``messages`` with results added for unanswered calls and stray results turned into text."""
    out: list[Message] = []
    index = 0
    while index < len(messages):
        message = messages[index]
        if message.role != "assistant":
            out.append(_without_stray_results(message, _NO_CALLS, losses))
            index += 1
            continue
        # One assistant run (Responses gives one message per item), then the user messages after it.
        run_end = index
        while run_end < len(messages) and messages[run_end].role == "assistant":
            run_end += 1
        replies_end = run_end
        while replies_end < len(messages) and messages[replies_end].role != "assistant":
            replies_end += 1
        run, replies = messages[index:run_end], messages[run_end:replies_end]
        calls = [p for m in run for p in m.content if p["type"] == "tool_call"]
        call_ids = {p["id"] for p in calls}
        out.extend(run)
        replies = [_without_stray_results(m, call_ids, losses) for m in replies]
        answered = {p["tool_call_id"] for m in replies for p in m.content if p["type"] == "tool_result"}
        missing = [p for p in calls if p["id"] not in answered]
        if missing and replies:  # a history that ends on the calls is left for the model to go on from
            replies = _add_results(replies, missing, losses)
        out.extend(replies)
        index = replies_end
    return out


def _without_stray_results(message: Message, call_ids: set[str] | frozenset[str], losses: LossCollector) -> Message:
    if message.role != "user" or not _has_stray_result(message.content, call_ids):
        return message
    content: list[Part] = []
    for part in message.content:
        if part["type"] == "tool_result" and part["tool_call_id"] not in call_ids:
            losses.coerced(part.get("path", message.path), "a result for a tool call not in the turn before "
                                                            "it; given as text")
            content.append({"type": "text", "text": _as_text(part), "path": part.get("path", message.path)})
        else:
            content.append(part)
    return Message(role=message.role, content=content, content_is_string=False, path=message.path,
                   extra=message.extra, quiet=message.quiet)


def _has_stray_result(parts: list[Part], call_ids: set[str] | frozenset[str]) -> bool:
    # A plain loop: any() over a generator costs more than the scan itself for the few parts of a message.
    for part in parts:
        if part["type"] == "tool_result" and part["tool_call_id"] not in call_ids:
            return True
    return False


def _as_text(result: Part) -> str:
    body = result.get("content")
    if isinstance(body, list):
        body = "\n".join(p.get("text", f"[{p['type']}]") for p in body)
    return f"Result of tool call {result['tool_call_id']}:\n{body or ''}"


def _add_results(replies: list[Message], missing: list[Part], losses: LossCollector) -> list[Message]:
    added = []
    for call in missing:
        losses.synthesized(call.get("path", ""), "the tool call has no result; one saying so was added")
        added.append({"type": "tool_result", "tool_call_id": call["id"], "content": NO_RESULT,
                      "content_is_string": True, "kind": call.get("kind", "function"),
                      "path": call.get("path", "")})
    first_user = next((i for i, m in enumerate(replies) if m.role == "user"), None)
    if first_user is None:
        return [Message(role="user", content=added, path=missing[0].get("path", "")), *replies]
    target = replies[first_user]
    results = [p for p in target.content if p["type"] == "tool_result"]
    others = [p for p in target.content if p["type"] != "tool_result"]
    merged = Message(role="user", content=results + added + others, path=target.path, extra=target.extra,
                     quiet=target.quiet)
    return [*replies[:first_user], merged, *replies[first_user + 1:]]
