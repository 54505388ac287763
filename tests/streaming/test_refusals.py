"""Refusals streamed to chat clients. A chat answer holds its text and its refusal in two fields, so the
order of a Responses message's parts is lost there: the stream reports it exactly as the non-streaming
writer does (FOUND 48/49 in tests/properties/FOUND.md), and no refusal text is ever lost."""

from __future__ import annotations

import json
from typing import Any

import pytest
from apiswitch.runtime.translate import translate_response

from apiswitch import StreamTranslator

from .checkers import check_chat
from .harness import make_context
from .test_directions import _non_streaming_body

ORDER = "a chat answer holds its text and its refusal apart; the text comes back ahead of the refusal"


def responses_message_stream(parts: list[tuple[str, list[str]]]) -> bytes:
    """A Responses stream of one message item whose content parts are ``(kind, pieces)``, kind being
    ``refusal`` or ``text``, as the API streams them."""
    events: list[dict[str, Any]] = []
    response = {
        "id": "resp_refusal",
        "object": "response",
        "created_at": 1756315696,
        "status": "in_progress",
        "model": "gpt-5",
        "output": [],
        "error": None,
        "incomplete_details": None,
        "usage": None,
    }
    item = {
        "id": "msg_refusal",
        "type": "message",
        "status": "in_progress",
        "role": "assistant",
        "content": [],
    }
    events += [
        {"type": "response.created", "response": response},
        {"type": "response.in_progress", "response": response},
        {"type": "response.output_item.added", "output_index": 0, "item": dict(item)},
    ]
    content = []
    for index, (kind, pieces) in enumerate(parts):
        where = {"item_id": item["id"], "output_index": 0, "content_index": index}
        full = "".join(pieces)
        if kind == "refusal":
            empty: dict[str, Any] = {"type": "refusal", "refusal": ""}
            done = {"type": "refusal", "refusal": full}
            deltas = [dict(where, type="response.refusal.delta", delta=p) for p in pieces]
            finished = dict(where, type="response.refusal.done", refusal=full)
        else:
            empty = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            done = dict(empty, text=full)
            deltas = [dict(where, type="response.output_text.delta", delta=p, logprobs=[]) for p in pieces]
            finished = dict(where, type="response.output_text.done", text=full, logprobs=[])
        events += [dict(where, type="response.content_part.added", part=empty), *deltas, finished]
        events.append(dict(where, type="response.content_part.done", part=done))
        content.append(done)
    item = dict(item, status="completed", content=content)
    events.append({"type": "response.output_item.done", "output_index": 0, "item": item})
    usage = {"input_tokens": 20, "output_tokens": 9, "total_tokens": 29}
    events.append(
        {
            "type": "response.completed",
            "response": dict(response, status="completed", output=[item], usage=usage),
        }
    )
    return b"".join(
        f"event: {e['type']}\ndata: {json.dumps(dict(e, sequence_number=n))}\n\n".encode()
        for n, e in enumerate(events)
    )


def stream_and_body_losses(upstream: bytes, server) -> tuple[bytes, set, set]:
    translator = StreamTranslator("responses", "chat", context=make_context("responses", "chat"))
    out = translator.feed(upstream) + translator.finish()
    streamed = {(loss.path, loss.action, loss.reason) for loss in translator.losses}
    body = _non_streaming_body(server.accumulate(upstream, "responses"), "responses")
    expected = translate_response(body, "responses", "chat", make_context("responses", "chat")).losses
    return out, streamed, {(loss.path, loss.action, loss.reason) for loss in expected}


ANSWERS = {
    "refusal then text": [
        ("refusal", ["I can't share", " that."]),
        ("text", ["Here is what", " I can say."]),
    ],
    "two refusals then text": [
        ("refusal", ["I can't share that."]),
        ("refusal", [" Nor this."]),
        ("text", ["But here is", " something."]),
    ],
    "text, refusal, text": [("text", ["First, "]), ("refusal", ["not that."]), ("text", [" Then this."])],
    "text then refusal": [("text", ["Some text."]), ("refusal", ["Then a refusal."])],
}


def order_losses(parts: list[tuple[str, list[str]]]) -> set[tuple[str, str]]:
    """Where the refusal order is reported: the first refusal and every text after it."""
    first = next(i for i, (kind, _) in enumerate(parts) if kind == "refusal")
    later = [i for i, (kind, _) in enumerate(parts) if kind == "text" and i > first]
    return {(f"output[0].content[{i}]", "coerced") for i in ([first, *later] if later else [])}


@pytest.mark.parametrize("answer", sorted(ANSWERS))
def test_a_streamed_refusal_reaches_chat_whole_with_the_losses_of_the_non_streaming_answer(
    answer, stream_server
):
    parts = ANSWERS[answer]
    out, streamed, expected = stream_and_body_losses(responses_message_stream(parts), stream_server)

    assert streamed == expected
    assert {(path, action) for path, action, reason in streamed if reason == ORDER} == order_losses(parts)
    summary = check_chat(out)
    message = stream_server.accumulate(out, "chat")["choices"][0]["message"]
    refusal = "".join("".join(pieces) for kind, pieces in parts if kind == "refusal")
    text = "".join("".join(pieces) for kind, pieces in parts if kind == "text")
    # Every refusal piece arrives, in order, in the refusal field; the text in the content.
    assert summary["refusal"] == message["refusal"] == refusal
    assert summary["content"] == message["content"] == text


def test_joined_refusals_and_texts_are_reported_part_by_part(stream_server):
    parts = ANSWERS["two refusals then text"]
    _, streamed, _ = stream_and_body_losses(responses_message_stream(parts), stream_server)
    joined = {
        (path, action) for path, action, reason in streamed if reason.startswith("joined with the refusal")
    }
    assert joined == {("output[0].content[1]", "coerced")}
    parts = ANSWERS["text, refusal, text"]
    _, streamed, _ = stream_and_body_losses(responses_message_stream(parts), stream_server)
    joined = {
        (path, action) for path, action, reason in streamed if reason.startswith("joined with the text")
    }
    assert joined == {("output[0].content[2]", "coerced")}


def test_a_chat_refusal_then_text_goes_back_to_a_chat_client_unchanged_and_unreported():
    """Chat to chat loses nothing: the client gets the upstream's fields as they came."""
    head = {"id": "chatcmpl-r", "object": "chat.completion.chunk", "created": 1700000000, "model": "m"}
    deltas = [{"role": "assistant", "content": ""}, {"refusal": "No."}, {"content": "But this."}]
    frames = [{**head, "choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
    frames.append({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    usage = {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9}
    frames.append({**head, "choices": [], "usage": usage})
    upstream = b"".join(b"data: " + json.dumps(f).encode() + b"\n\n" for f in frames) + b"data: [DONE]\n\n"
    translator = StreamTranslator("chat", "chat", context=make_context("chat", "chat"))
    summary = check_chat(translator.feed(upstream) + translator.finish())
    assert (summary["refusal"], summary["content"]) == ("No.", "But this.")
    assert translator.losses == []


@pytest.mark.parametrize("target", ["chat", "anthropic", "responses"])
def test_a_refusal_sent_only_in_its_finished_part_is_not_lost(target, stream_server):
    """Some Responses-compatible servers send no deltas, only the done events: the text is still there."""
    parts = ANSWERS["refusal then text"]
    frames = responses_message_stream(parts).split(b"\n\n")
    upstream = b"".join(f + b"\n\n" for f in frames if f and b"response.refusal.delta" not in f)
    translator = StreamTranslator("responses", target, context=make_context("responses", target))
    out = translator.feed(upstream) + translator.finish()
    refusal = "".join(parts[0][1])
    final = stream_server.accumulate(out, target)
    if target == "chat":
        assert final["choices"][0]["message"]["refusal"] == refusal
    elif target == "anthropic":
        assert final["content"][0]["text"] == refusal
    else:
        assert final["output"][0]["content"][0] == {"type": "refusal", "refusal": refusal}
