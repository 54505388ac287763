"""What goes to a provider: its URL, its headers, and the request body adjusted to its quirks."""

from __future__ import annotations

import functools
from typing import Any

from apiswitch.runtime.proxy.config import Provider
from apiswitch.runtime.proxy.http1 import Target

from apiswitch import __version__

ANTHROPIC_VERSION = "2023-06-01"
USER_AGENT = f"apiswitch/{__version__}"
_PATHS = {"anthropic": "/v1/messages", "chat": "/chat/completions", "responses": "/responses"}
# Client headers worth passing on, per upstream format. Everything else (the client's key, cookies, its
# user agent, hop-by-hop headers) stays behind.
_KEEP = {"anthropic": ("anthropic-beta", "anthropic-version"), "chat": (), "responses": ()}


class MissingKey(Exception):
    pass


def endpoint(provider: Provider, count_tokens: bool = False) -> Target:
    """Anthropic base URLs are the host (the SDK convention); OpenAI-style base URLs end in /v1 already."""
    path = _PATHS[provider.format]
    if count_tokens:
        path += "/count_tokens"
    return _target(provider.base_url + path)


@functools.lru_cache(maxsize=1024)
def _target(url: str) -> Target:
    # Parsed once: a provider has one or two endpoints, and a URL parse costs more than the request head.
    return Target(url)


def upstream_headers(provider: Provider, client_headers: dict[str, str], client_format: str) -> dict[str, str]:
    headers = {"content-type": "application/json", "accept": "application/json, text/event-stream",
               "user-agent": USER_AGENT}
    if provider.format == "anthropic":
        headers["anthropic-version"] = ANTHROPIC_VERSION
        if client_format == "anthropic":
            for name in _KEEP["anthropic"]:
                value = client_headers.get(name)
                if value:
                    headers[name] = value
        if provider.api_key:
            headers["x-api-key"] = provider.api_key
    elif provider.api_key:
        headers["authorization"] = f"Bearer {provider.api_key}"
    if provider.api_key_env and not provider.api_key:
        raise MissingKey(f"provider {provider.name!r}: environment variable {provider.api_key_env} is not set")
    headers.update(provider.headers)
    return headers


def adjust_body(body: dict[str, Any], provider: Provider, model: str, translated: bool,
                count_tokens: bool = False) -> dict[str, Any]:
    """Set the upstream model, the output cap and the provider's quirks on a body ready for the provider.

    `translated`: the body was written by the translators rather than by a client of the provider's own
    format, whose fields are its own business and stay as sent.
    """
    body["model"] = model
    cap = provider.max_output_tokens
    if cap:
        for name in ("max_tokens", "max_completion_tokens", "max_output_tokens"):
            value = body.get(name)
            if isinstance(value, int) and value > cap:
                body[name] = cap
    quirks = provider.quirks
    if quirks.stream_only and not count_tokens and not body.get("stream"):
        body["stream"] = True  # the answer is folded back into one (forward.relay_unary)
        if provider.format == "chat" and not quirks.no_stream_usage:
            body["stream_options"] = {"include_usage": True}
    elif quirks.no_streaming and body.get("stream"):
        del body["stream"]  # the answer is replayed as a stream (forward.replay_whole)
        body.pop("stream_options", None)
    if provider.format != "chat":
        return body
    if quirks.no_stream_usage:
        body.pop("stream_options", None)
    strip_reasoning = translated and not quirks.reasoning_content_echo
    # DeepSeek answers 400 when a tool-call turn of the history lacks its reasoning_content. A turn whose
    # reasoning never reached the client (another provider answered it, or it was empty) gets an empty one.
    fill_reasoning = translated and quirks.reasoning_content_echo
    messages = body.get("messages")
    if isinstance(messages, list) and (quirks.string_content or translated):
        for message in messages:
            if not isinstance(message, dict):
                continue
            if strip_reasoning:
                # Most chat providers reject an unknown message field; only echo it where it is wanted.
                message.pop("reasoning_content", None)
            elif fill_reasoning and message.get("role") == "assistant" and message.get("tool_calls") \
                    and not isinstance(message.get("reasoning_content"), str):
                message["reasoning_content"] = ""
            if quirks.string_content:
                _flatten_content(message)
    return body


def _flatten_content(message: dict[str, Any]) -> None:
    content = message.get("content")
    if content is None:
        message["content"] = ""
    elif isinstance(content, list) and all(isinstance(p, dict) and p.get("type") == "text" for p in content):
        message["content"] = "".join(str(p.get("text", "")) for p in content)
