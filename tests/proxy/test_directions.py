"""All six translated directions end to end: an official SDK client, the proxy, a scripted upstream of
another format, over real HTTP on 127.0.0.1; streaming and not; text, tool calls and their results, thinking."""

from __future__ import annotations

import json

import anthropic
import openai
import pytest
from upstreams import Reply, Thinking, ToolCall, Usage, tool_loop

from .harness import provider_toml

DIRECTIONS = [(c, u) for c in ("anthropic", "chat", "responses") for u in ("anthropic", "chat", "responses")
              if c != u]
TOOL = {"name": "get_weather", "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


def setup(proxy, scripted_upstream, upstream_format, *answers, responder=None):
    upstream = scripted_upstream(upstream_format, *answers, responder=responder)
    running = proxy(provider_toml("up", upstream_format, upstream.base_url) + '[routes]\n"*" = "up:upstream-model"\n')
    return upstream, running


class Client:
    """One conversation turn in the client's format through its official SDK, reduced to comparable facts."""

    def __init__(self, fmt: str, url: str) -> None:
        self.fmt = fmt
        if fmt == "anthropic":
            self.sdk = anthropic.Anthropic(base_url=url, api_key="client-key", max_retries=0)
        else:
            self.sdk = openai.OpenAI(base_url=url + "/v1", api_key="client-key", max_retries=0)

    def ask(self, stream: bool, history: list | None = None, tools: bool = True, thinking: bool = False) -> dict:
        if self.fmt == "anthropic":
            return self._anthropic(stream, history, tools, thinking)
        if self.fmt == "chat":
            return self._chat(stream, history, tools, thinking)
        return self._responses(stream, history, tools, thinking)

    def _anthropic(self, stream, history, tools, thinking):
        params = dict(model="claude-client-name", max_tokens=2000,
                      messages=history or [{"role": "user", "content": "Weather in Oslo?"}])
        if tools:
            params["tools"] = [{"name": TOOL["name"], "description": TOOL["description"],
                                "input_schema": TOOL["parameters"]}]
        if thinking:
            params["thinking"] = {"type": "enabled", "budget_tokens": 1024}
        if stream:
            with self.sdk.messages.stream(**params) as events:
                message = events.get_final_message()
        else:
            message = self.sdk.messages.create(**params)
        self.last = message
        return {
            "model": message.model,
            "text": "".join(b.text for b in message.content if b.type == "text"),
            "thinking": [b.thinking for b in message.content if b.type == "thinking"],
            "calls": [(b.id, b.name, b.input) for b in message.content if b.type == "tool_use"],
            "stop": message.stop_reason,
            "usage": (message.usage.input_tokens, message.usage.output_tokens),
        }

    def _chat(self, stream, history, tools, thinking):
        params = dict(model="gpt-client-name", messages=history or [{"role": "user", "content": "Weather in Oslo?"}])
        if tools:
            params["tools"] = [{"type": "function", "function": TOOL}]
        if thinking:
            params["reasoning_effort"] = "high"
        if stream:
            params["stream_options"] = {"include_usage": True}
            with self.sdk.chat.completions.stream(**params) as events:
                completion = events.get_final_completion()
        else:
            completion = self.sdk.chat.completions.create(**params)
        message = completion.choices[0].message
        self.last = message
        extra = message.model_extra or {}
        return {
            "model": completion.model,
            "text": message.content or "",
            "thinking": [extra["reasoning_content"]] if extra.get("reasoning_content") else [],
            "calls": [(c.id, c.function.name, json.loads(c.function.arguments)) for c in message.tool_calls or []],
            "stop": completion.choices[0].finish_reason,
            "usage": (completion.usage.prompt_tokens, completion.usage.completion_tokens),
        }

    def _responses(self, stream, history, tools, thinking):
        params = dict(model="gpt-client-name", input=history or "Weather in Oslo?")
        if tools:
            params["tools"] = [dict(TOOL, type="function", strict=False)]
        if thinking:
            params["reasoning"] = {"effort": "high", "summary": "auto"}
            params["include"] = ["reasoning.encrypted_content"]
        if stream:
            with self.sdk.responses.stream(**params) as events:
                response = events.get_final_response()
        else:
            response = self.sdk.responses.create(**params)
        self.last = response
        return {
            "model": response.model,
            "text": response.output_text,
            "thinking": ["".join(s.text for s in item.summary) for item in response.output if item.type == "reasoning"],
            "calls": [(i.call_id, i.name, json.loads(i.arguments)) for i in response.output if i.type == "function_call"],
            "stop": response.status,
            "usage": (response.usage.input_tokens, response.usage.output_tokens),
        }

    def tool_result_history(self, call_id: str, output: str) -> list:
        """The conversation so far plus the tool's result, the way this client format sends it back."""
        if self.fmt == "anthropic":
            return [{"role": "user", "content": "Weather in Oslo?"},
                    {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in self.last.content]},
                    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call_id, "content": output}]}]
        if self.fmt == "chat":
            return [{"role": "user", "content": "Weather in Oslo?"},
                    self.last.model_dump(exclude_none=True),
                    {"role": "tool", "tool_call_id": call_id, "content": output}]
        items = [{"role": "user", "content": "Weather in Oslo?"}]
        items += [item.model_dump(exclude_none=True) for item in self.last.output]
        items.append({"type": "function_call_output", "call_id": call_id, "output": output})
        return items


EXPECTED_STOP = {"anthropic": ("tool_use", "end_turn"), "chat": ("tool_calls", "stop"),
                 "responses": ("completed", "completed")}


@pytest.mark.parametrize("stream", [False, True], ids=["unary", "stream"])
@pytest.mark.parametrize("client_format, upstream_format", DIRECTIONS, ids=[f"{c}-to-{u}" for c, u in DIRECTIONS])
def test_tool_call_round_trip(proxy, scripted_upstream, client_format, upstream_format, stream):
    call = ToolCall("get_weather", {"city": "Oslo"}, id=f"call_{upstream_format}_oslo_1")
    respond = tool_loop(call, "It is sunny in Oslo.", expect_output="sunny, 21C",
                        first=Reply.calls(call, text="Let me check.", usage=Usage(input_tokens=30, output_tokens=12)))
    upstream, running = setup(proxy, scripted_upstream, upstream_format, responder=respond)
    client = Client(client_format, running.url)

    first = client.ask(stream)
    assert first["model"] in ("claude-client-name", "gpt-client-name")
    assert first["text"] == "Let me check."
    assert first["calls"] == [(call.id, "get_weather", {"city": "Oslo"})]
    assert first["stop"] == EXPECTED_STOP[client_format][0]
    assert first["usage"][0] > 0 and first["usage"][1] > 0
    sent = upstream.calls[0]
    assert sent.model == "upstream-model"
    assert sent.tool_names() == ["get_weather"]
    assert sent.stream == stream

    second = client.ask(stream, history=client.tool_result_history(call.id, "sunny, 21C"))
    assert second["text"] == "It is sunny in Oslo."
    assert second["stop"] == EXPECTED_STOP[client_format][1]
    # The scripted responder checked that the result came back with the upstream's own call id.
    assert [r.call_id for r in upstream.calls[1].tool_results()] == [call.id]
    rows = running.log_rows(2)
    assert [r["status"] for r in rows] == [200, 200]
    assert rows[0]["input_tokens"] and rows[0]["output_tokens"]


@pytest.mark.parametrize("stream", [False, True], ids=["unary", "stream"])
@pytest.mark.parametrize("client_format, upstream_format", DIRECTIONS, ids=[f"{c}-to-{u}" for c, u in DIRECTIONS])
def test_thinking_reaches_the_client(proxy, scripted_upstream, client_format, upstream_format, stream):
    reply = Reply(blocks=(Thinking("Oslo is in Norway. Check the forecast.", signature="c2lnLW9zbG8="),
                          ToolCall("get_weather", {"city": "Oslo"}, id="call_think_1")))
    upstream, running = setup(proxy, scripted_upstream, upstream_format, reply)
    answer = Client(client_format, running.url).ask(stream, thinking=True)
    assert answer["calls"][0][0] == "call_think_1"
    visible = "".join(answer["thinking"])
    assert "Oslo is in Norway" in visible, answer
