"""One named test per bug class other translators have shipped, plus the error paths.

Upstream streams here are built inline, chunk by chunk, so each test shows the exact upstream shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
from apiswitch.runtime.reasoning import unwrap

from apiswitch import StreamTranslator

from .checkers import CHECKERS, check_anthropic, check_chat, check_responses
from .harness import FORMATS, fixture_bytes, make_context, random_chunks, translate

HEAD = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "created": 1700000000,
    "model": "deepseek-chat",
}


def chat_stream(
    *deltas: dict[str, Any],
    finish: str | None = "stop",
    usage: dict[str, Any] | None = None,
    done: bool = True,
) -> bytes:
    frames = [
        {
            **HEAD,
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
        }
    ]
    frames += [{**HEAD, "choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
    if finish:
        frames.append({**HEAD, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    if usage:
        frames.append({**HEAD, "choices": [], "usage": usage})
    body = b"".join(b"data: " + json.dumps(f).encode() + b"\n\n" for f in frames)
    return body + (b"data: [DONE]\n\n" if done else b"")


def call(index: int, arguments: str, id: str | None = None, name: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"index": index, "function": {"arguments": arguments}}
    if id:
        out.update(id=id, type="function")
        out["function"]["name"] = name
    return out


def anthropic_blocks(stream: bytes) -> list[dict[str, Any]]:
    return check_anthropic(stream)["blocks"]


def test_regression_tool_arguments_split_across_chunks_are_not_lost(stream_server):
    arguments = json.dumps({"command": "grep -rn 'é' .", "timeout": 30})
    pieces = [call(0, "", "call_1", "bash")] + [call(0, ch) for ch in arguments]
    stream = translate(
        chat_stream(*[{"tool_calls": [p]} for p in pieces], finish="tool_calls"), "chat", "anthropic"
    )
    final = stream_server.accumulate(stream, "anthropic")
    (block,) = final["content"]
    assert (block["type"], block["id"], block["name"], block["input"]) == (
        "tool_use",
        "call_1",
        "bash",
        json.loads(arguments),
    )
    # Streamed as they arrived, one delta per upstream fragment, not buffered to the end.
    deltas = [e for e in check_anthropic(stream)["events"] if e[0] == "content_block_delta"]
    assert len(deltas) == len(arguments)


def test_regression_deltas_never_reach_a_block_of_another_type_or_an_unopened_block():
    upstream = chat_stream(
        {"content": "a"},
        {"tool_calls": [call(0, '{"x":', "call_1", "f")]},
        {"tool_calls": [call(0, "1}")]},
        {"content": "b"},
        finish="tool_calls",
    )
    blocks = anthropic_blocks(translate(upstream, "chat", "anthropic"))  # the checker rejects any such delta
    assert [b["type"] for b in blocks] == ["text", "tool_use", "text"]
    assert [blocks[0]["text"], blocks[2]["text"]] == ["a", "b"]


def test_regression_an_upstream_delta_to_the_wrong_block_becomes_an_error_not_a_mixed_block():
    bad = (
        b'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","model":"m",'
        b'"usage":{"input_tokens":3,"output_tokens":1}}}\n\n'
        b'event: content_block_start\ndata: {"type":"content_block_start","index":0,'
        b'"content_block":{"type":"tool_use","id":"t1","name":"f","input":{}}}\n\n'
        b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
        b'"delta":{"type":"text_delta","text":"oops"}}\n\n'
    )
    for target in FORMATS:
        out = translate(bad, "anthropic", target)
        summary = CHECKERS[target](out)
        assert summary.get("error") or summary.get("terminal") in ("error", "response.failed")


def test_regression_parallel_tool_calls_are_neither_collapsed_nor_reordered(stream_server):
    calls = [call(i, json.dumps({"n": i}), f"call_{i}", f"tool_{i}") for i in range(3)]
    upstream = chat_stream({"tool_calls": calls}, finish="tool_calls")
    for target in FORMATS:
        final = stream_server.accumulate(translate(upstream, "chat", target), target)
        if target == "anthropic":
            got = [(b["id"], b["name"], b["input"]) for b in final["content"]]
        elif target == "chat":
            got = [
                (c["id"], c["function"]["name"], json.loads(c["function"]["arguments"]))
                for c in final["choices"][0]["message"]["tool_calls"]
            ]
        else:
            got = [(i["call_id"], i["name"], json.loads(i["arguments"])) for i in final["output"]]
        assert got == [(f"call_{i}", f"tool_{i}", {"n": i}) for i in range(3)]


def test_regression_an_empty_tool_calls_list_is_not_an_empty_tool_block():
    upstream = chat_stream({"content": "hi", "tool_calls": []}, {"tool_calls": []})
    summary = check_anthropic(translate(upstream, "chat", "anthropic"))
    assert [b["type"] for b in summary["blocks"]] == ["text"]
    assert summary["stop_reason"] == "end_turn"


def test_regression_end_turn_with_a_tool_call_is_reported_as_tool_use():
    upstream = chat_stream({"tool_calls": [call(0, "{}", "call_1", "f")]}, finish="stop")
    assert check_anthropic(translate(upstream, "chat", "anthropic"))["stop_reason"] == "tool_use"
    assert check_chat(translate(upstream, "chat", "chat"))["finish_reason"] == "tool_calls"


def test_regression_tool_use_without_a_tool_call_is_reported_as_end_turn():
    upstream = chat_stream({"content": "no tools here"}, finish="tool_calls")
    assert check_anthropic(translate(upstream, "chat", "anthropic"))["stop_reason"] == "end_turn"
    assert check_chat(translate(upstream, "chat", "chat"))["finish_reason"] == "stop"
    # The change is a loss like any other, as in the non-streaming translation.
    translator = StreamTranslator("chat", "anthropic", context=make_context("chat", "anthropic"))
    translator.feed(upstream)
    translator.finish()
    assert ("choices[0].finish_reason", "coerced") in {(loss.path, loss.action) for loss in translator.losses}


def test_regression_zero_usage_the_stop_event_waits_for_the_usage_chunk():
    usage = {
        "prompt_tokens": 1200,
        "completion_tokens": 35,
        "total_tokens": 1235,
        "prompt_tokens_details": {"cached_tokens": 1000},
    }
    translator = StreamTranslator("chat", "anthropic", context=make_context("chat", "anthropic"))
    upstream = chat_stream({"content": "hi"}, usage=usage)
    finish_at = upstream.index(b'"finish_reason": "stop"')
    split = upstream.index(b"\n\n", finish_at) + 2
    before_usage = translator.feed(upstream[:split])
    assert b"message_delta" not in before_usage  # the finish_reason alone does not end the message
    summary = check_anthropic(before_usage + translator.feed(upstream[split:]) + translator.finish())
    assert summary["usage"]["input_tokens"] == 200
    assert summary["usage"]["cache_read_input_tokens"] == 1000
    assert summary["usage"]["output_tokens"] == 35
    # message_start carried the request's estimate, since a chat upstream reports input tokens only at the end.
    assert summary["message"]["usage"]["input_tokens"] == 77
    assert not [loss for loss in translator.losses if loss.path == "usage"]


def test_regression_zero_usage_an_upstream_without_usage_gets_a_marked_estimate():
    translator = StreamTranslator("chat", "responses", context=make_context("chat", "responses"))
    out = translator.feed(chat_stream({"content": "x" * 40})) + translator.finish()
    usage = check_responses(out)["response"]["usage"]
    assert usage["input_tokens"] == 77 and usage["output_tokens"] == 10
    assert [(loss.path, loss.action) for loss in translator.losses] == [("usage", "synthesized")]


def test_regression_no_done_sentinel_in_an_anthropic_or_responses_stream():
    for target in ("anthropic", "responses"):
        out = translate(fixture_bytes("tool_use", "chat"), "chat", target)
        assert b"[DONE]" not in out
        CHECKERS[target](out)


def test_regression_every_anthropic_and_responses_frame_keeps_its_event_line():
    for target in ("anthropic", "responses"):
        out = translate(fixture_bytes("thinking", "chat"), "chat", target)
        frames = [f for f in out.split(b"\n\n") if f]
        assert frames and all(f.startswith(b"event: ") for f in frames)


def test_regression_json_and_utf8_split_across_reads():
    upstream = chat_stream({"content": "naïve café — 日本語 🎉"}, {"content": "✓"})
    expected = translate(upstream, "chat", "anthropic")
    for seed in range(20):
        assert translate(upstream, "chat", "anthropic", chunks=random_chunks(upstream, seed, 7)) == expected
    assert check_anthropic(expected)["blocks"][0]["text"] == "naïve café — 日本語 🎉✓"


@pytest.mark.parametrize("target", FORMATS)
def test_regression_a_mid_stream_upstream_error_is_surfaced_and_the_stream_ends_cleanly(
    target, stream_server
):
    upstream = fixture_bytes("text", "anthropic")
    cut = upstream.index(b"event: content_block_stop")
    error = b'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}\n\n'
    translator = StreamTranslator("anthropic", target, context=make_context("anthropic", target))
    out = translator.feed(upstream[:cut] + error) + translator.finish()
    summary = CHECKERS[target](out)
    if target == "anthropic":
        assert summary["terminal"] == "error" and b"Overloaded" in out and b"overloaded_error" in out
    elif target == "chat":
        assert summary["error"]["message"] == "Overloaded"
    else:
        assert (
            summary["terminal"] == "response.failed"
            and summary["response"]["error"]["message"] == "Overloaded"
        )
    assert translator.closed and translator.feed(b"data: {}\n\n") == b""
    with pytest.raises(Exception, match="Overloaded"):
        stream_server.accumulate(out, target)


@pytest.mark.parametrize("source", FORMATS)
@pytest.mark.parametrize("target", FORMATS)
def test_an_upstream_that_ends_without_its_terminal_event_becomes_the_clients_error(source, target):
    upstream = fixture_bytes("tool_use", source)
    truncated = upstream[: len(upstream) * 2 // 3]
    out = translate(truncated, source, target)
    summary = CHECKERS[target](out)
    assert summary.get("error") or summary.get("terminal") in ("error", "response.failed")


@pytest.mark.parametrize("target", FORMATS)
def test_a_malformed_upstream_event_becomes_the_clients_error(target):
    upstream = chat_stream({"content": "ok"})
    broken = upstream.replace(b'"content": "ok"', b'"content": "ok', 1)
    summary = CHECKERS[target](translate(broken, "chat", target))
    assert summary.get("error") or summary.get("terminal") in ("error", "response.failed")


@pytest.mark.parametrize("target", FORMATS)
def test_a_chat_usage_that_is_not_an_object_is_the_upstreams_fault(target):
    """Found by the slot property tests: it was an AttributeError inside the decoder, which the client saw as
    apiswitch failing to translate instead of the upstream sending a malformed chunk."""
    upstream = chat_stream({"content": "ok"}).replace(b'"object"', b'"usage": 5, "object"', 1)
    assert b'"usage": 5' in upstream
    out = translate(upstream, "chat", target)
    summary = CHECKERS[target](out)
    assert summary.get("error") or summary.get("terminal") in ("error", "response.failed")
    assert b"upstream_malformed" in out or b"usage is not an object" in out


@pytest.mark.parametrize("target", FORMATS)
def test_fail_ends_the_client_stream_with_its_error(target):
    translator = StreamTranslator("chat", target, context=make_context("chat", target))
    out = translator.feed(chat_stream({"content": "partial"}, finish=None, done=False))
    out += translator.fail(ConnectionResetError("peer reset"))
    summary = CHECKERS[target](out)
    assert summary.get("error") or summary.get("terminal") in ("error", "response.failed")
    assert b"peer reset" in out
    assert translator.finish() == b"" and translator.fail("again") == b""


def test_regression_concurrent_streams_never_share_state():
    a_bytes, b_bytes = fixture_bytes("parallel_tools", "chat"), fixture_bytes("thinking", "responses")
    expected_a = translate(a_bytes, "chat", "anthropic")
    expected_b = translate(b_bytes, "responses", "anthropic")
    a = StreamTranslator("chat", "anthropic", context=make_context("chat", "anthropic"))
    b = StreamTranslator("responses", "anthropic", context=make_context("responses", "anthropic"))
    chunks_a, chunks_b = random_chunks(a_bytes, 1, 25), random_chunks(b_bytes, 2, 25)
    out_a, out_b = [], []
    for i in range(max(len(chunks_a), len(chunks_b))):
        if i < len(chunks_a):
            out_a.append(a.feed(chunks_a[i]))
        if i < len(chunks_b):
            out_b.append(b.feed(chunks_b[i]))
    assert b"".join(out_a) + a.finish() == expected_a
    assert b"".join(out_b) + b.finish() == expected_b


def test_regression_reasoning_text_and_tool_calls_in_one_chunk_are_split_in_order(stream_server):
    upstream = chat_stream(
        {"reasoning_content": "think", "content": "say", "tool_calls": [call(0, '{"a":1}', "call_1", "f")]},
        finish="tool_calls",
    )
    anthropic_out = translate(upstream, "chat", "anthropic")
    assert [b["type"] for b in anthropic_blocks(anthropic_out)] == ["thinking", "text", "tool_use"]
    responses_out = translate(upstream, "chat", "responses")
    assert [i["type"] for i in check_responses(responses_out)["items"]] == [
        "reasoning",
        "message",
        "function_call",
    ]
    chat_out = check_chat(translate(upstream, "chat", "chat"))
    assert (chat_out["reasoning"], chat_out["content"], chat_out["finish_reason"]) == (
        "think",
        "say",
        "tool_calls",
    )
    stream_server.accumulate(anthropic_out, "anthropic")


def test_upstreams_that_repeat_tool_id_and_name_per_chunk_do_not_duplicate_them(stream_server):
    out = translate(fixture_bytes("repeated_tool_header", "chat"), "chat", "chat")
    calls = check_chat(out)["tool_calls"]  # the checker rejects a repeated id or name
    assert [(c["id"], c["name"], c["input"]) for c in calls] == [("call_rep", "search", {"q": "x"})]


def test_zero_argument_calls_are_an_empty_object_everywhere(stream_server):
    upstream = fixture_bytes("parallel_tools", "anthropic")  # list_tabs has no arguments
    for target in FORMATS:
        final = stream_server.accumulate(translate(upstream, "anthropic", target), target)
        if target == "anthropic":
            assert final["content"][2]["input"] == {}
        elif target == "chat":
            assert final["choices"][0]["message"]["tool_calls"][2]["function"]["arguments"] == "{}"
        else:
            assert final["output"][2]["arguments"] == "{}"


def test_thinking_signature_survives_byte_for_byte_and_travels_opaquely_elsewhere(stream_server):
    upstream = fixture_bytes("thinking", "anthropic")
    same = stream_server.accumulate(translate(upstream, "anthropic", "anthropic"), "anthropic")
    assert same["content"][0]["signature"] == "EqQBCkYIBxgCKkDsig=="
    codex = check_responses(translate(upstream, "anthropic", "responses"))["items"][0]
    fmt, block = unwrap(codex["encrypted_content"])
    assert (fmt, block["signature"], block["thinking"]) == (
        "anthropic",
        "EqQBCkYIBxgCKkDsig==",
        "The user wants a greeting. Keep it short.",
    )
    claude = check_anthropic(translate(fixture_bytes("thinking", "responses"), "responses", "anthropic"))
    fmt, item = unwrap(claude["blocks"][0]["signature"])
    assert fmt == "responses" and item["encrypted_content"] == "gAAAAEqQBCkYIBxgCKkDsig=="


def test_keepalive_frames_are_valid_for_each_client(stream_server):
    for target in FORMATS:
        translator = StreamTranslator("chat", target, context=make_context("chat", target))
        upstream = chat_stream({"content": "a"}, {"content": "b"})
        middle = upstream.index(b"\n\n") + 2
        out = translator.feed(upstream[:middle]) + translator.keepalive() + translator.feed(upstream[middle:])
        out += translator.finish()
        CHECKERS[target](out)
        stream_server.accumulate(out, target)
    assert StreamTranslator("chat", "anthropic").keepalive().startswith(b"event: ping\n")


def test_an_upstream_ping_is_passed_on_as_the_clients_keepalive():
    out = translate(fixture_bytes("text", "anthropic"), "anthropic", "anthropic")
    assert b"event: ping" in out
    assert b": keep-alive" in translate(fixture_bytes("text", "anthropic"), "anthropic", "chat")


def test_usage_chunk_only_when_the_chat_client_asked_for_it():
    upstream = fixture_bytes("text", "anthropic")
    asked = translate(upstream, "anthropic", "chat", make_context("anthropic", "chat"))
    check_chat(asked, expect_usage=True)
    not_asked = translate(
        upstream, "anthropic", "chat", make_context("anthropic", "chat", client_wants_stream_usage=False)
    )
    check_chat(not_asked, expect_usage=False)


def test_shortened_tool_names_are_restored_and_odd_ids_made_valid_for_the_client():
    # Kimi-style ids ("functions.bash:0") are not valid tool ids for Anthropic or Responses clients.
    context = make_context(
        "chat", "anthropic", tool_names={"mcp__srv__very_long_a1b2c3d4": "mcp__srv__very_long_tool"}
    )
    upstream = chat_stream(
        {"tool_calls": [call(0, "{}", "functions.bash:0", "mcp__srv__very_long_a1b2c3d4")]},
        {"tool_calls": [call(1, "{}", "functions.bash:0", "other")]},
        finish="tool_calls",
    )
    blocks = anthropic_blocks(translate(upstream, "chat", "anthropic", context))
    assert [(b["name"], b["id"]) for b in blocks] == [
        ("mcp__srv__very_long_tool", "functions_bash_0"),
        ("other", "functions_bash_0_2"),
    ]


def test_a_bridged_custom_tool_comes_back_to_codex_as_a_custom_tool_call(stream_server):
    patch = '*** Begin Patch\n*** Add File: a.txt\n+hello "world"\n*** End Patch'
    arguments = json.dumps({"input": patch})
    context = make_context("chat", "responses", custom_tools=["apply_patch"])
    pieces = [call(0, "", "call_p", "apply_patch")] + [
        call(0, arguments[i : i + 9]) for i in range(0, len(arguments), 9)
    ]
    out = translate(
        chat_stream(*[{"tool_calls": [p]} for p in pieces], finish="tool_calls"), "chat", "responses", context
    )
    item = check_responses(out)["items"][0]
    assert (item["type"], item["name"], item["call_id"], item["input"]) == (
        "custom_tool_call",
        "apply_patch",
        "call_p",
        patch,
    )
    deltas = [e for e in check_responses(out)["events"] if e[0] == "response.custom_tool_call_input.delta"]
    assert len(deltas) > 3  # decoded and passed on while the upstream is still writing
    final = stream_server.accumulate(out, "responses")
    assert final["output"][0]["input"] == patch


def test_a_responses_custom_tool_call_reaches_claude_as_a_tool_use_with_an_input_string(stream_server):
    events = [
        ("response.created", {"response": {"id": "resp_1", "model": "gpt-5", "created_at": 1}}),
        (
            "response.output_item.added",
            {
                "output_index": 0,
                "item": {
                    "id": "ctc_1",
                    "type": "custom_tool_call",
                    "call_id": "call_c",
                    "name": "apply_patch",
                    "input": "",
                },
            },
        ),
        (
            "response.custom_tool_call_input.delta",
            {"output_index": 0, "item_id": "ctc_1", "delta": 'line "1"\n'},
        ),
        ("response.custom_tool_call_input.delta", {"output_index": 0, "item_id": "ctc_1", "delta": "line 2"}),
        (
            "response.output_item.done",
            {
                "output_index": 0,
                "item": {
                    "id": "ctc_1",
                    "type": "custom_tool_call",
                    "call_id": "call_c",
                    "name": "apply_patch",
                    "input": 'line "1"\nline 2',
                },
            },
        ),
        (
            "response.completed",
            {
                "response": {
                    "id": "resp_1",
                    "status": "completed",
                    "usage": {"input_tokens": 5, "output_tokens": 3},
                }
            },
        ),
    ]
    upstream = b"".join(f"event: {n}\ndata: {json.dumps({'type': n, **p})}\n\n".encode() for n, p in events)
    out = translate(upstream, "responses", "anthropic")
    block = anthropic_blocks(out)[0]
    assert (block["type"], block["id"], block["input"]) == (
        "tool_use",
        "call_c",
        {"input": 'line "1"\nline 2'},
    )
    assert stream_server.accumulate(out, "anthropic")["content"][0]["input"] == {"input": 'line "1"\nline 2'}


def test_a_tool_call_whose_name_arrives_after_its_first_arguments_is_opened_once_named():
    upstream = chat_stream(
        {"tool_calls": [call(0, '{"a"')]},
        {"tool_calls": [call(0, ": 1}", "call_late", "late")]},
        finish="tool_calls",
    )
    calls = check_chat(translate(upstream, "chat", "chat"))["tool_calls"]
    assert [(c["id"], c["name"], c["input"]) for c in calls] == [("call_late", "late", {"a": 1})]
    nameless = chat_stream({"tool_calls": [call(0, "{}")]}, finish="tool_calls")
    assert check_anthropic(translate(nameless, "chat", "anthropic"))["terminal"] == "error"


def test_what_a_client_format_cannot_hold_is_reported_as_a_loss():
    thinking = StreamTranslator("anthropic", "chat", context=make_context("anthropic", "chat"))
    thinking.feed(fixture_bytes("thinking", "anthropic"))
    thinking.finish()
    assert [(loss.path, loss.action) for loss in thinking.losses] == [("content[0]", "dropped")]
    refusal = StreamTranslator("chat", "anthropic", context=make_context("chat", "anthropic"))
    refusal.feed(fixture_bytes("refusal", "chat"))
    refusal.finish()
    assert [loss.action for loss in refusal.losses] == ["coerced"]


# --- found by test_stream_properties ----------------------------------------------------------------------


def sse(*events: dict[str, Any]) -> bytes:
    """Named SSE events, as Anthropic and Responses send them (the event name is the payload's type)."""
    return b"".join(
        b"event: " + e["type"].encode() + b"\ndata: " + json.dumps(e).encode() + b"\n\n" for e in events
    )


RESPONSE = {"id": "resp_1", "object": "response", "created_at": 1700000000, "status": "in_progress",
            "model": "gpt-5", "output": [], "usage": None, "error": None, "incomplete_details": None,
            "parallel_tool_calls": True, "tool_choice": "auto", "tools": []}
USAGE = {"input_tokens": 10, "output_tokens": 3, "total_tokens": 13,
         "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 0}}


def responses_stream(*items: dict[str, Any], between: list[dict[str, Any]] | None = None) -> bytes:
    """response.created, each finished item added and done (``between`` after the first add), completed."""
    events: list[dict[str, Any]] = [{"type": "response.created", "response": RESPONSE}]
    for n, item in enumerate(items):
        events.append({"type": "response.output_item.added", "output_index": n, "item": item})
        events += between or []
        events.append({"type": "response.output_item.done", "output_index": n, "item": item})
    completed = dict(RESPONSE, status="completed", output=list(items), usage=USAGE)
    events.append({"type": "response.completed", "response": completed})
    return sse(*[dict(e, sequence_number=n) for n, e in enumerate(events)])


def anthropic_non_streaming(upstream: bytes, source: str, stream_server) -> dict[str, Any]:
    from apiswitch.runtime.translate import translate_response

    from .test_directions import _non_streaming_body

    body = _non_streaming_body(stream_server.accumulate(upstream, source), source)
    return translate_response(body, source, "anthropic", make_context(source, "anthropic")).body


def test_regression_an_empty_refusal_reaches_claude_as_non_empty_text(stream_server):
    """Anthropic rejects an empty text block when Claude Code sends the turn back; the body writer says
    "(refused)", and the stream now says the same."""
    empty = {"type": "refusal", "refusal": ""}
    message = {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant", "content": [empty]}
    part_events = [
        {"type": "response.content_part.added", "item_id": "msg_1", "output_index": 0, "content_index": 0,
         "part": empty},
        {"type": "response.refusal.done", "item_id": "msg_1", "output_index": 0, "content_index": 0,
         "refusal": ""},
        {"type": "response.content_part.done", "item_id": "msg_1", "output_index": 0, "content_index": 0,
         "part": empty},
    ]
    upstream = responses_stream(message, between=part_events)
    out = translate(upstream, "responses", "anthropic")
    assert anthropic_blocks(out) and all(b.get("text") for b in anthropic_blocks(out))
    streamed = stream_server.accumulate(out, "anthropic")["content"]
    assert streamed == anthropic_non_streaming(upstream, "responses", stream_server)["content"]
    assert streamed == [{"type": "text", "text": "(refused)"}]


def test_regression_an_empty_anthropic_text_block_streams_as_the_body_translates(stream_server):
    """An empty Anthropic text block: translate_response leaves it out of a Responses answer, and the stream
    now does too (it used to send an empty message item)."""
    from apiswitch.runtime.translate import translate_response

    from .test_directions import _non_streaming_body

    upstream = sse(
        {"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5", "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 1}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
         "usage": {"output_tokens": 1}},
        {"type": "message_stop"},
    )
    streamed = stream_server.accumulate(translate(upstream, "anthropic", "responses"), "responses")["output"]
    body = _non_streaming_body(stream_server.accumulate(upstream, "anthropic"), "anthropic")
    expected = translate_response(body, "anthropic", "responses", make_context("anthropic", "responses")).body
    assert len(streamed) == len(expected["output"])


def test_regression_several_reasoning_items_reach_chat_joined_as_in_a_body(stream_server):
    """Chat has one reasoning string: several reasoning items are joined with a blank line, streamed or not
    (the stream used to run them together)."""
    from apiswitch.runtime.translate import translate_response

    from .test_directions import _non_streaming_body

    def reasoning(n: int, text: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        item = {"type": "reasoning", "id": f"rs_{n}", "summary": [{"type": "summary_text", "text": text}]}
        where = {"item_id": f"rs_{n}", "output_index": n, "summary_index": 0}
        return item, [
            dict(where, type="response.reasoning_summary_part.added", part={"type": "summary_text", "text": ""}),
            dict(where, type="response.reasoning_summary_text.delta", delta=text),
            dict(where, type="response.reasoning_summary_text.done", text=text),
            dict(where, type="response.reasoning_summary_part.done", part={"type": "summary_text", "text": text}),
        ]

    (first, first_events), (second, second_events) = reasoning(0, "one"), reasoning(1, "two")
    events: list[dict[str, Any]] = [{"type": "response.created", "response": RESPONSE}]
    for n, (item, inner) in enumerate([(first, first_events), (second, second_events)]):
        events += [{"type": "response.output_item.added", "output_index": n, "item": dict(item, summary=[])},
                   *inner, {"type": "response.output_item.done", "output_index": n, "item": item}]
    events.append({"type": "response.completed",
                   "response": dict(RESPONSE, status="completed", output=[first, second], usage=USAGE)})
    upstream = sse(*[dict(e, sequence_number=n) for n, e in enumerate(events)])

    streamed = stream_server.accumulate(translate(upstream, "responses", "chat"), "chat")
    body = _non_streaming_body(stream_server.accumulate(upstream, "responses"), "responses")
    expected = translate_response(body, "responses", "chat", make_context("responses", "chat")).body
    assert (streamed["choices"][0]["message"].get("reasoning_content")
            == expected["choices"][0]["message"].get("reasoning_content"))


def test_regression_an_empty_text_part_reaches_claude_as_no_block(stream_server):
    """An empty output_text would be an empty Anthropic text block, which the API rejects when Claude Code
    sends the turn back; the body writer leaves it out, and so does the stream now."""
    empty = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
    message = {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant", "content": [empty]}
    where = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
    part_events = [
        dict(where, type="response.content_part.added", part=empty),
        dict(where, type="response.output_text.delta", delta="", logprobs=[]),
        dict(where, type="response.output_text.done", text="", logprobs=[]),
        dict(where, type="response.content_part.done", part=empty),
    ]
    upstream = responses_stream(message, between=part_events)
    out = translate(upstream, "responses", "anthropic")
    assert anthropic_blocks(out) == []
    streamed = stream_server.accumulate(out, "anthropic")["content"]
    assert streamed == anthropic_non_streaming(upstream, "responses", stream_server)["content"] == []


def test_regression_thinking_without_text_reaches_codex_with_an_empty_summary(stream_server):
    """A thinking block whose text is empty (only its signature is sent) is a reasoning item with
    `summary: []` in a body; the stream used to open a summary part with no text."""
    from apiswitch.runtime.translate import translate_response

    from .test_directions import _non_streaming_body

    upstream = sse(
        {"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5", "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 1}}},
        {"type": "content_block_start", "index": 0,
         "content_block": {"type": "thinking", "thinking": "", "signature": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "EqQB"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
         "usage": {"output_tokens": 1}},
        {"type": "message_stop"},
    )
    out = translate(upstream, "anthropic", "responses")
    assert "reasoning_summary_part" not in out.decode()
    streamed = stream_server.accumulate(out, "responses")["output"]
    body = _non_streaming_body(stream_server.accumulate(upstream, "anthropic"), "anthropic")
    expected = translate_response(body, "anthropic", "responses", make_context("anthropic", "responses")).body
    assert [item["summary"] for item in streamed] == [item["summary"] for item in expected["output"]] == [[]]


def test_regression_an_empty_chat_refusal_streams_as_the_body_translates(stream_server):
    upstream = chat_stream({"refusal": ""})
    streamed = stream_server.accumulate(translate(upstream, "chat", "anthropic"), "anthropic")["content"]
    assert streamed == anthropic_non_streaming(upstream, "chat", stream_server)["content"]


def test_regression_an_empty_chat_reasoning_streams_as_the_body_translates(stream_server):
    upstream = chat_stream({"reasoning_content": ""})
    streamed = stream_server.accumulate(translate(upstream, "chat", "anthropic"), "anthropic")["content"]
    assert streamed == anthropic_non_streaming(upstream, "chat", stream_server)["content"]


def _said(body: dict[str, Any], target: str) -> list[tuple[str, ...]]:
    """What an answer says, part by part: types and texts, without ids."""
    if target == "anthropic":
        return [(b["type"], b.get("text") or b.get("thinking") or "") for b in body["content"]]
    return [(item["type"], *(f"{p['type']}:{p.get('text', p.get('refusal'))}" for p in item.get("content") or ()))
            for item in body["output"]]


@pytest.mark.parametrize("text", [None, "t"])
@pytest.mark.parametrize("key", ["refusal", "reasoning_content", "reasoning"])
@pytest.mark.parametrize("target", ["anthropic", "responses"])
def test_regression_an_empty_chat_field_streams_and_reports_as_the_body_translates(target, key, text, stream_server):
    """An empty refusal or reasoning makes no part on either side, and both report it left out."""
    from apiswitch.runtime.translate import translate_response

    from .test_directions import _non_streaming_body

    upstream = chat_stream({key: ""}, *([{"content": text}] if text else []))
    translator = StreamTranslator("chat", target, context=make_context("chat", target))
    streamed = stream_server.accumulate(translator.feed(upstream) + translator.finish(), target)
    body = _non_streaming_body(stream_server.accumulate(upstream, "chat"), "chat")
    expected = translate_response(body, "chat", target, make_context("chat", target))
    assert _said(streamed, target) == _said(expected.body, target) == (
        [] if text is None else [("text", "t")] if target == "anthropic" else [("message", "output_text:t")])
    # Neither carries a usage (the stream has none): both estimate it, and say so.
    streamed_losses = {(loss.path, loss.action) for loss in translator.losses}
    assert streamed_losses == {(loss.path, loss.action) for loss in expected.losses} == {
        (f"choices[0].message.{key}", "dropped"), ("usage", "synthesized")}


@pytest.mark.parametrize("key", ["refusal", "reasoning_content"])
def test_regression_an_empty_chat_field_beside_its_text_in_another_delta_is_not_reported(key, stream_server):
    """An empty first delta of a field that says something later: the part is streamed, nothing left out."""
    translator = StreamTranslator("chat", "anthropic", context=make_context("chat", "anthropic"))
    out = translator.feed(chat_stream({key: ""}, {key: "no"})) + translator.finish()
    (block,) = stream_server.accumulate(out, "anthropic")["content"]
    assert block.get("text", block.get("thinking")) == "no"
    assert not [loss for loss in translator.losses if loss.action == "dropped"]


LOGPROBS = {"content": [{"token": "hi", "logprob": -0.25, "bytes": [104, 105], "top_logprobs": []}], "refusal": None}


def _chat_stream_with_unread_fields() -> bytes:
    """A chat answer carrying fields no hub event holds: a delta's audio and a choice's logprobs."""
    frames = [
        {**HEAD, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]},
        {**HEAD, "choices": [{"index": 0, "delta": {"content": "hi", "audio": {"id": "audio_1", "transcript": "hi"}},
                              "logprobs": LOGPROBS, "finish_reason": None}]},
        {**HEAD, "choices": [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}]},
    ]
    return b"".join(b"data: " + json.dumps(f).encode() + b"\n\n" for f in frames) + b"data: [DONE]\n\n"


@pytest.mark.parametrize("target", ["anthropic", "responses"])
def test_regression_chat_fields_no_event_holds_are_reported_as_the_body_reports_them(target, stream_server):
    """Before, a chat answer's audio and logprobs vanished without a loss, streamed or not."""
    from apiswitch.runtime.translate import translate_response

    from .test_directions import _non_streaming_body

    upstream = _chat_stream_with_unread_fields()
    translator = StreamTranslator("chat", target, context=make_context("chat", target))
    translator.feed(upstream)
    translator.finish()
    accumulated = stream_server.accumulate(upstream, "chat")
    assert accumulated["choices"][0]["logprobs"]["content"][0]["token"] == "hi"
    body = _non_streaming_body(accumulated, "chat")
    expected = translate_response(body, "chat", target, make_context("chat", target))
    wanted = {("choices[0].message.audio", "dropped"), ("choices[0].logprobs", "dropped")}
    assert {(loss.path, loss.action) for loss in expected.losses} >= wanted
    assert {(loss.path, loss.action) for loss in translator.losses} >= wanted


def test_regression_a_chat_to_chat_stream_reports_the_fields_it_does_not_carry():
    """The chat body comes back whole; a re-encoded chat stream cannot, and says which fields it left out."""
    translator = StreamTranslator("chat", "chat", context=make_context("chat", "chat"))
    out = translator.feed(_chat_stream_with_unread_fields()) + translator.finish()
    assert b"audio_1" not in out
    assert {(loss.path, loss.action) for loss in translator.losses} >= {
        ("choices[0].message.audio", "dropped"), ("choices[0].logprobs", "dropped")}


def test_usage_in_the_first_chat_chunk_reaches_message_start():
    """vLLM with continuous usage stats (and some gateways) put usage in every chunk, the first included."""
    def frame(delta: dict[str, Any], completion: int, finish: str | None = None) -> bytes:
        usage = {"prompt_tokens": 1200, "completion_tokens": completion, "total_tokens": 1200 + completion,
                 "prompt_tokens_details": {"cached_tokens": 1000}}
        chunk = {**HEAD, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], "usage": usage}
        return b"data: " + json.dumps(chunk).encode() + b"\n\n"

    upstream = (frame({"role": "assistant", "content": ""}, 0) + frame({"content": "Hi"}, 1)
                + frame({}, 1, "stop") + b"data: [DONE]\n\n")
    checked = check_anthropic(translate(upstream, "chat", "anthropic"))
    start = next(json.loads(data) for name, data in checked["events"] if name == "message_start")
    assert start["message"]["usage"]["input_tokens"] == 200  # 1200 prompt tokens, 1000 of them cached
    assert start["message"]["usage"]["cache_read_input_tokens"] == 1000
    assert checked["usage"]["output_tokens"] == 1
    # Without usage up front, message_start still carries the request's estimate.
    plain = check_anthropic(translate(chat_stream({"content": "Hi"}), "chat", "anthropic"))
    plain_start = next(json.loads(data) for name, data in plain["events"] if name == "message_start")
    assert plain_start["message"]["usage"]["input_tokens"] == 77


WIKI_ANNOTATION = b'"annotation":{"type":"url_citation","url":"https://en.wikipedia.org/wiki/Rayleigh_scattering"'
BAD_ANNOTATIONS = {  # found by the field fuzzer; each went through to a client that could not read it
    "without a type": (b'"annotation":{"type":null,"url":"https://en.wikipedia.org/wiki/Rayleigh_scattering"',
                       "a citation without a type"),
    "with a number for a URL": (b'"annotation":{"type":"url_citation","url":1,"wiki":"en.wikipedia.org"',
                                "a url_citation citation whose url is missing or of the wrong type"),
}


@pytest.mark.parametrize("target", FORMATS)
@pytest.mark.parametrize("bad", sorted(BAD_ANNOTATIONS))
def test_an_annotation_a_client_cannot_read_is_reported_not_passed_on(target, bad):
    """SDKs tell annotations apart by their type and read their fields by the spec's types."""
    replacement, reason = BAD_ANNOTATIONS[bad]
    stream = fixture_bytes("web_citations", "responses").replace(WIKI_ANNOTATION, replacement, 1)
    assert replacement in stream
    translator = StreamTranslator("responses", target, context=make_context("responses", target))
    out = translator.feed(stream) + translator.finish()
    CHECKERS[target](out)
    assert b"en.wikipedia.org" not in out  # the annotation left out; the well-formed one still arrives
    if target != "anthropic":  # (an Anthropic client takes no URL-only citations: reported on their own)
        assert b"science.nasa.gov" in out
    assert any(loss.reason == reason for loss in translator.losses), [loss.reason for loss in translator.losses]


@pytest.mark.parametrize("target", FORMATS)
@pytest.mark.parametrize("reason", ["abort", "insufficient_system_resource"])
def test_a_provider_s_own_finish_reason_is_reported_and_read_as_end_turn(target, reason):
    """vLLM ends an aborted request with `abort`, DeepSeek a starved one with `insufficient_system_resource`.
    Before, a streamed one became end_turn without a word, and a whole answer handed an Anthropic client a
    stop_reason its SDK does not know. Now both say what they did; a chat client gets the reason as it came."""
    from apiswitch import translate_response

    stream = chat_stream({"content": "Half an ans"}, finish=reason)
    translator = StreamTranslator("chat", target, context=make_context("chat", target))
    out = translator.feed(stream) + translator.finish()
    if target != "chat":  # (the strict chat checker knows OpenAI's reasons only; a chat client gets the provider's)
        CHECKERS[target](out)
    answer = {"id": "c1", "object": "chat.completion", "created": 1, "model": "m", "choices": [
        {"index": 0, "finish_reason": reason, "message": {"role": "assistant", "content": "Half an ans"}}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}}
    whole = translate_response(answer, "chat", target)
    said = {"anthropic": lambda b: b["stop_reason"], "responses": lambda b: b["status"],
            "chat": lambda b: b["choices"][0]["finish_reason"]}[target](whole.body)
    expected = {"anthropic": "end_turn", "responses": "completed", "chat": reason}[target]
    assert said == expected
    for losses in (translator.losses, whole.losses):
        reported = [loss for loss in losses if loss.path == "choices[0].finish_reason"]
        assert bool(reported) == (target != "chat"), losses
    if target == "chat":
        assert json.loads(parse_last_chat_chunk(out))["choices"][0]["finish_reason"] == reason


def parse_last_chat_chunk(stream: bytes) -> str:
    frames = [line[6:] for line in stream.decode().split("\n") if line.startswith("data: {")]
    return next(frame for frame in reversed(frames) if json.loads(frame)["choices"])


def test_a_responses_answer_with_a_status_no_table_knows_reads_as_finished():
    from apiswitch import translate_response

    answer = {"id": "resp_1", "object": "response", "created_at": 1, "model": "m", "status": "cancelled",
              "output": [{"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                          "content": [{"type": "output_text", "text": "Half", "annotations": []}]}],
              "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}}
    translated = translate_response(answer, "responses", "anthropic")
    assert translated.body["stop_reason"] == "end_turn"
    assert [loss.path for loss in translated.losses] == ["status"]


def test_a_whole_answer_without_a_stop_reason_still_tells_a_chat_client_why_it_ended():
    """Found by the proxy's damaged-stream fuzz: an Anthropic stream whose stop_reason was lost, folded for a
    chat client, gave a completion with finish_reason null, which the OpenAI SDK refuses."""
    import openai.types.chat

    from apiswitch import translate_response

    answer = {"id": "msg_1", "type": "message", "role": "assistant", "model": "m",
              "content": [{"type": "text", "text": "Hi"}], "stop_reason": None, "stop_sequence": None,
              "usage": {"input_tokens": 1, "output_tokens": 1}}
    translated = translate_response(answer, "anthropic", "chat")
    openai.types.chat.ChatCompletion.model_validate(translated.body)
    assert translated.body["choices"][0]["finish_reason"] == "stop"
    assert [(loss.path, loss.action) for loss in translated.losses] == [("stop_reason", "synthesized")]


def test_a_provider_s_own_finish_reason_beside_tool_calls_reads_as_tool_use():
    """The loss says what the client was told: tool_use, as for any answer with tool calls."""
    from apiswitch import translate_response

    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    translator = StreamTranslator("chat", "anthropic", context=make_context("chat", "anthropic"))
    out = translator.feed(chat_stream({"tool_calls": [call]}, finish="abort")) + translator.finish()
    assert check_anthropic(out)["stop_reason"] == "tool_use"
    answer = {"id": "c1", "object": "chat.completion", "created": 1, "model": "m", "choices": [
        {"index": 0, "finish_reason": "abort", "message": {"role": "assistant", "content": None, "tool_calls": [
            {key: value for key, value in call.items() if key != "index"}]}}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}}
    whole = translate_response(answer, "chat", "anthropic")
    assert whole.body["stop_reason"] == "tool_use"
    for losses in (translator.losses, whole.losses):
        assert [loss.reason for loss in losses if loss.path == "choices[0].finish_reason"] == [
            "anthropic cannot say 'abort'; it reads as 'tool_use'"]


def test_a_streamed_anthropic_context_window_stop_reads_as_the_whole_answer_s():
    """The stream decoder speaks the hub's words, as the non-streaming reader does: the context window
    running out is chat's `length`, not an unknown reason."""
    stream = fixture_bytes("text", "anthropic").replace(b'"stop_reason": "end_turn"',
                                                         b'"stop_reason": "model_context_window_exceeded"')
    assert b"model_context_window_exceeded" in stream
    assert check_chat(translate(stream, "anthropic", "chat"))["finish_reason"] == "length"
    assert b'"stop_reason":"model_context_window_exceeded"' in translate(stream, "anthropic", "anthropic")
