"""Routing: model routes, class rules in file order, defaults, and what each request class looks like."""

from __future__ import annotations

import pytest
from apiswitch.runtime.proxy.breaker import CircuitBreaker
from apiswitch.runtime.proxy.config import parse_config
from apiswitch.runtime.proxy.routing import NoRoute, Router

PROVIDERS = "".join(f'[providers.{n}]\nformat = "chat"\nbase_url = "http://{n}/v1"\n' for n in
                    ("cheap", "smart", "vision", "big", "search", "fallback"))


def router(rules: str = "", routes: str = '"claude-opus-*" = "smart:smart-1"\n"gpt-5*" = ["smart", "fallback:fb"]\n'):
    return Router(parse_config(PROVIDERS + "[routes]\n" + routes + "[rules]\n" + rules, "t.toml", {}))


def user(content):
    return {"role": "user", "content": content}


def test_model_routes_keep_order_and_fallbacks():
    decision = router().decide("gpt-5-codex", {"input": "hi"}, "responses", 100)
    assert decision.route == "gpt-5*" and decision.rule is None
    assert [(c.provider.name, c.model) for c in decision.candidates] == [("smart", "gpt-5-codex"), ("fallback", "fb")]


def test_unknown_model_without_default_is_no_route():
    with pytest.raises(NoRoute, match="no route for model 'llama'"):
        router().decide("llama", {"messages": []}, "chat", 10)


def test_default_rule_catches_the_rest():
    decision = router('default = "fallback:fb"\n').decide("llama", {"messages": []}, "chat", 10)
    assert decision.rule == "default" and decision.candidates[0].model == "fb"


RULES = '''background = "cheap:c"
images = "vision:v"
long_context = "big:b"
web_search = "search:s"
thinking = "smart:t"
long_context_threshold = 1000
'''


@pytest.mark.parametrize("fmt, model, body, size, expected", [
    ("anthropic", "claude-3-5-haiku-20241022", {"messages": [user("hi")]}, 10, "background"),
    # Claude Code's session-title side call: structured output, no tools.
    ("anthropic", "claude-opus-4-1", {"messages": [user("title?")], "tools": [],
                                      "output_config": {"format": {"type": "json_schema", "schema": {}}}},
     10, "background"),
    ("chat", "gpt-5", {"messages": [], "tools": [], "response_format": {"type": "json_schema"}}, 10, "background"),
    ("anthropic", "claude-opus-4-1", {"messages": [user([{"type": "image", "source": {}}])]}, 10, "images"),
    ("anthropic", "claude-opus-4-1", {"messages": [user([{"type": "tool_result", "content": [
        {"type": "image", "source": {}}]}])]}, 10, "images"),
    ("chat", "gpt-5", {"messages": [user([{"type": "image_url", "image_url": {"url": "x"}}])]}, 10, "images"),
    ("responses", "gpt-5", {"input": [user([{"type": "input_image", "image_url": "x"}])]}, 10, "images"),
    ("anthropic", "claude-opus-4-1", {"messages": [user("long")]}, 8000, "long_context"),
    ("anthropic", "claude-opus-4-1", {"messages": [], "tools": [{"type": "web_search_20250305", "name": "w"}]},
     10, "web_search"),
    ("chat", "gpt-5", {"messages": [], "web_search_options": {}}, 10, "web_search"),
    ("responses", "gpt-5", {"input": "x", "tools": [{"type": "web_search"}]}, 10, "web_search"),
    ("anthropic", "claude-opus-4-1", {"messages": [], "thinking": {"type": "enabled", "budget_tokens": 1024}},
     10, "thinking"),
    ("anthropic", "claude-opus-4-1", {"messages": [], "thinking": {"type": "adaptive"}}, 10, "thinking"),
    ("chat", "gpt-5", {"messages": [], "reasoning_effort": "high"}, 10, "thinking"),
    ("responses", "gpt-5", {"input": "x", "reasoning": {"effort": "medium"}}, 10, "thinking"),
])
def test_request_classes(fmt, model, body, size, expected):
    decision = router(RULES).decide(model, dict(body, model=model), fmt, size)
    assert decision.rule == expected


@pytest.mark.parametrize("fmt, body", [
    ("anthropic", {"messages": [user("hi")], "thinking": {"type": "disabled"}}),
    ("anthropic", {"messages": [user("hi")], "tools": [{"name": "Bash", "input_schema": {}}],
                   "output_config": {"effort": "high"}}),
    ("chat", {"messages": [user("hi")], "reasoning_effort": "minimal"}),
    ("responses", {"input": "hi", "reasoning": {"effort": "none"}}),
])
def test_plain_requests_follow_the_model_route(fmt, body):
    decision = router(RULES).decide("claude-opus-4-1" if fmt == "anthropic" else "gpt-5", body, fmt, 10)
    assert decision.rule is None and decision.route is not None


def test_the_first_matching_rule_in_file_order_wins():
    body = {"messages": [user([{"type": "image", "source": {}}])], "thinking": {"type": "enabled"}}
    assert router(RULES).decide("claude-opus-4-1", body, "anthropic", 10).rule == "images"
    reordered = 'thinking = "smart:t"\nimages = "vision:v"\n'
    assert router(reordered).decide("claude-opus-4-1", body, "anthropic", 10).rule == "thinking"


@pytest.mark.parametrize("model", ["big:b-large", "big,b-large"])
def test_a_model_naming_a_provider_goes_straight_to_it(model):
    """Before routes and rules: a long context would otherwise pick `big:b`, and `*` would pick `cheap`."""
    decision = router(RULES, routes='"*" = "cheap"\n').decide(model, {"messages": [user("x")]}, "chat", 10**7)
    assert decision.rule == "direct" and decision.route is None
    assert [(c.provider.name, c.model) for c in decision.candidates] == [("big", "b-large")]


@pytest.mark.parametrize("model", ["qwen3:32b", "nobody,model", ":x", "big:", "claude-opus-4"])
def test_a_name_whose_prefix_is_no_provider_is_routed_as_any_other(model):
    decision = router(routes='"*" = "cheap"\n').decide(model, {"messages": [user("x")]}, "chat", 10)
    assert decision.rule is None and decision.route == "*"
    assert [(c.provider.name, c.model) for c in decision.candidates] == [("cheap", model)]


def test_visible_models():
    config = parse_config(PROVIDERS.replace('base_url = "http://cheap/v1"\n', 'base_url = "http://cheap/v1"\n'
                                            'models = ["c-1", "c-2"]\n') + '[routes]\n"exact" = "cheap"\n"x-*" = "smart"\n',
                          "t.toml", {})
    # c-1 and c-2 route by no pattern: listed only as addresses of their provider.
    assert Router(config).visible_models() == ["exact", "cheap:c-1", "cheap:c-2"]
    routed = parse_config(PROVIDERS.replace('base_url = "http://cheap/v1"\n', 'base_url = "http://cheap/v1"\n'
                                            'models = ["c-1"]\n') + '[routes]\n"c-*" = "cheap"\n', "t.toml", {})
    assert Router(routed).visible_models() == ["c-1", "cheap:c-1"]


def test_breaker_opens_after_consecutive_failures_and_closes_after_the_cool_down():
    now = [0.0]
    breaker = CircuitBreaker(failures=2, cooldown_seconds=10, clock=lambda: now[0])
    breaker.record_failure("p", "boom")
    assert not breaker.is_open("p")
    breaker.record_failure("p", "boom")
    assert breaker.is_open("p")
    now[0] = 10.5
    assert not breaker.is_open("p")  # half-open: the next request is the probe
    breaker.record_success("p")
    breaker.record_failure("p", "again")
    assert not breaker.is_open("p")  # a success reset the count
    breaker.cool_down("p", 30, "429")
    assert breaker.snapshot()["p"]["retry_in_seconds"] == 30.0
