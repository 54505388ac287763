"""Properties over generated bodies: X -> hub -> X is the identity, X -> Y never raises and gives a body the
SDK types accept, and X -> Y -> X keeps what Y can express (text, tool calls and their results)."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from apiswitch.runtime.losses import LossCollector
from apiswitch.runtime.pairing import pair_tool_calls
from apiswitch.runtime.translate import SPOKES
from hypothesis import assume, given
from hypothesis import strategies as st

from apiswitch import translate_request, translate_response

from .helpers import FORMATS
from .oracles import validate_request, validate_response
from .strategies import FEW, REQUESTS, RESPONSES

GENERATED_REQUESTS = {"anthropic": "MessageCreateParams", "chat": "ChatCompletionCreateParams",
                      "responses": "ResponseCreateParams"}
GENERATED_RESPONSES = {"anthropic": "Message", "chat": "ChatCompletion", "responses": "Response"}


def generated_model(fmt: str, name: str) -> Any:
    """A model generated from specs/ (the strategies are held to these, the SDK types judge the output)."""
    module = pytest.importorskip(f"apiswitch.generated.{fmt}", reason="generated models are missing")
    return getattr(module, name)


PAIRS = [p for p in itertools.permutations(FORMATS, 2)]


@pytest.mark.parametrize("fmt", FORMATS)
@FEW
@given(data=st.data())
def test_generated_bodies_are_valid_for_the_generated_models(fmt: str, data: st.DataObject) -> None:
    generated_model(fmt, GENERATED_REQUESTS[fmt]).model_validate(data.draw(REQUESTS[fmt]))
    generated_model(fmt, GENERATED_RESPONSES[fmt]).model_validate(data.draw(RESPONSES[fmt]))


@pytest.mark.parametrize("fmt", FORMATS)
@FEW
@given(data=st.data())
def test_request_through_the_hub_to_its_own_format_is_the_identity(fmt: str, data: st.DataObject) -> None:
    body = data.draw(REQUESTS[fmt])
    out = translate_request(body, fmt, fmt)
    assert out.body == body
    assert out.losses == []


@pytest.mark.parametrize("fmt", sorted(RESPONSES))
@FEW
@given(data=st.data())
def test_response_through_the_hub_to_its_own_format_is_the_identity(fmt: str, data: st.DataObject) -> None:
    body = data.draw(RESPONSES[fmt])
    out = translate_response(body, fmt, fmt)
    assert out.body == body
    assert out.losses == []


@pytest.mark.parametrize(("source", "target"), PAIRS)
@FEW
@given(data=st.data())
def test_request_translation_never_raises_and_gives_a_valid_body(source: str, target: str,
                                                                  data: st.DataObject) -> None:
    body = data.draw(REQUESTS[source])
    out = translate_request(body, source, target)
    validate_request(target, out.body)
    generated_model(target, GENERATED_REQUESTS[target]).model_validate(out.body)
    assert all(loss.action in ("dropped", "coerced", "synthesized") for loss in out.losses)


@pytest.mark.parametrize("source", sorted(RESPONSES))
@pytest.mark.parametrize("target", FORMATS)
@FEW
@given(data=st.data())
def test_response_translation_never_raises_and_gives_a_valid_body(source: str, target: str,
                                                                   data: st.DataObject) -> None:
    body = data.draw(RESPONSES[source])
    out = translate_response(body, source, target).body
    validate_response(target, out)
    generated_model(target, GENERATED_RESPONSES[target]).model_validate(out)


@pytest.mark.parametrize(("source", "middle"), PAIRS)
@FEW
@given(data=st.data())
def test_round_trip_keeps_text_tool_calls_and_results(source: str, middle: str, data: st.DataObject) -> None:
    body = data.draw(REQUESTS[source])
    call_ids = [c[0] for c in calls(body, source)]
    assume(len(set(call_ids)) == len(call_ids))  # ids repeated in one request are invalid input
    there = translate_request(body, source, middle)
    back = translate_request(there.body, middle, source).body
    after = "\x00".join(texts(back, source))
    for text in texts(body, source):
        assert text in after
    assert calls(back, source) == calls(body, source)
    assert results(back, source) == paired_results(body, source)
    before, after_settings = settings_of(body, source), settings_of(back, source)
    if before["max_tokens"] is None:
        after_settings["max_tokens"] = None  # anthropic needs one and adds it, reported as synthesized
    if "temperature" not in before:
        after_settings.pop("temperature", None)  # above anthropic's range: clamped, reported as coerced
    if any(b.get("thinking", {}).get("type") in ("enabled", "adaptive") for b in (there.body, back)):
        for key in ("temperature", "top_p"):  # anthropic refuses them while thinking (reported)
            before.pop(key, None)
            after_settings.pop(key, None)
    assert after_settings == before


# --- what a body says, independent of how its format shapes it -----------------------------------------

def _strings(content: Any) -> list[str]:
    if isinstance(content, str):
        return [content]
    out = []
    for part in content or []:
        if part.get("type") in ("text", "input_text", "output_text"):
            out.append(part["text"])
        elif part.get("type") == "tool_result":
            out.extend(_strings(part.get("content")))
    return out


def texts(body: dict, fmt: str) -> list[str]:
    found: list[str] = []
    if fmt == "anthropic":
        found += _strings(body.get("system"))
        for message in body["messages"]:
            found += _strings(message["content"])
    elif fmt == "chat":
        for message in body["messages"]:
            found += _strings(message.get("content"))
    else:
        if body.get("instructions"):
            found.append(body["instructions"])
        items = body["input"]
        for item in [{"content": items}] if isinstance(items, str) else items:
            found += _strings(item.get("content")) + _strings(item.get("output"))
    return [t for t in found if t]


def _args(text: str) -> Any:
    return json.loads(text) if text.strip() else {}


def calls(body: dict, fmt: str) -> list[tuple]:
    found = []
    if fmt == "anthropic":
        for message in body["messages"]:
            for block in message["content"] if isinstance(message["content"], list) else []:
                if block["type"] == "tool_use":
                    found.append((block["id"], block["name"], block["input"]))
    elif fmt == "chat":
        for message in body["messages"]:
            for call in message.get("tool_calls") or []:
                found.append((call["id"], call["function"]["name"], _args(call["function"]["arguments"])))
    elif isinstance(body["input"], list):
        for item in body["input"]:
            if item.get("type") == "function_call":
                found.append((item["call_id"], item["name"], _args(item["arguments"])))
            elif item.get("type") == "custom_tool_call":
                found.append((item["call_id"], item["name"], {"input": item["input"]}))
    return found


def paired_results(body: dict, fmt: str) -> list[str]:
    """The result ids of ``body`` once its history is paired (see runtime/pairing.py, tested on its own):
    random histories answer calls that were never made and leave calls unanswered."""
    hub_request = SPOKES[fmt].request_to_hub(body, LossCollector())
    paired = pair_tool_calls(hub_request.messages, LossCollector())
    return [p["tool_call_id"] for m in paired for p in m.content if p["type"] == "tool_result"]


def results(body: dict, fmt: str) -> list[str]:
    if fmt == "anthropic":
        return [b["tool_use_id"] for m in body["messages"] if isinstance(m["content"], list)
                for b in m["content"] if b["type"] == "tool_result"]
    if fmt == "chat":
        return [m["tool_call_id"] for m in body["messages"] if m["role"] == "tool"]
    if isinstance(body["input"], str):
        return []
    return [i["call_id"] for i in body["input"] if i.get("type") in ("function_call_output", "custom_tool_call_output")]


MAX_TOKENS_KEYS = {"anthropic": ("max_tokens",), "chat": ("max_completion_tokens", "max_tokens"),
                   "responses": ("max_output_tokens",)}


def settings_of(body: dict, fmt: str) -> dict:
    """Sampling, limits and tool names: what every format can express."""
    tools = body.get("tools") or []
    names = [t["function"]["name"] if fmt == "chat" else t["name"] for t in tools]
    found = {
        "max_tokens": next((body[k] for k in MAX_TOKENS_KEYS[fmt] if k in body), None),
        "top_p": body.get("top_p"),
        "stream": body.get("stream"),
        "tools": names,
    }
    temperature = body.get("temperature")
    if temperature is not None and temperature <= 1:  # anthropic's range; higher values are clamped
        found["temperature"] = temperature
    if fmt == "anthropic" and found["max_tokens"] is not None:
        found["max_tokens"] = None  # anthropic always sends one; the others may not
    return found


REQUIRED_KEYS = {"anthropic": {"messages"}, "chat": {"messages"}, "responses": set()}


@pytest.mark.parametrize("fmt", FORMATS)
@FEW
@given(data=st.data())
def test_null_optional_fields_never_raise(fmt: str, data: st.DataObject) -> None:
    """Clients send `null` for fields they do not set; that is no reason to fail."""
    body = data.draw(REQUESTS[fmt])
    optional_keys = sorted(set(body) - REQUIRED_KEYS[fmt])
    nulled = data.draw(st.lists(st.sampled_from(optional_keys), unique=True)) if optional_keys else []
    body = body | {key: None for key in nulled}
    for target in FORMATS:
        translate_request(body, fmt, target)


@pytest.mark.parametrize(("source", "target"), PAIRS)
@FEW
@given(data=st.data())
def test_translation_leaves_the_input_untouched(source: str, target: str, data: st.DataObject) -> None:
    """The proxy logs and retries with the client's body: translating must not change it."""
    body = data.draw(REQUESTS[source])
    before = json.dumps(body, sort_keys=True)
    translate_request(body, source, target)
    assert json.dumps(body, sort_keys=True) == before
