"""Translation contexts for answers, as the proxy holds them: built from a request that declared the tools.

Which tools are custom (freeform) is request knowledge: an answer in another format cannot say it, so the
round trips of answers translate with the context of a request that declared the tools the answer calls.
"""

from __future__ import annotations

from typing import Any

from apiswitch.runtime.translate import translate_request

_HELLO = [{"role": "user", "content": "hi"}]
_CONVERSATION = {"anthropic": {"max_tokens": 64, "messages": _HELLO}, "chat": {"messages": _HELLO},
                 "responses": {"input": "hi"}}


def client_context(answer: dict[str, Any], client: str, upstream: str) -> Any:
    """The context of the ``client`` request, sent to ``upstream``, that declared the tools ``answer`` calls."""
    request = {"model": answer["model"], **_CONVERSATION[client], "tools": tools_in(client, called_tools(answer))}
    return translate_request(request, client, upstream).context


def called_tools(answer: dict[str, Any]) -> dict[str, str]:
    """Name -> "function" | "custom" for every tool call in an answer of any format."""
    found: dict[str, str] = {}
    for block in answer.get("content") or []:  # anthropic
        if block.get("type") == "tool_use":
            found[block["name"]] = "function"
    for choice in answer.get("choices") or []:  # chat
        for call in choice["message"].get("tool_calls") or []:
            found[call[call["type"]]["name"]] = call["type"]
    for item in answer.get("output") or []:  # responses
        if item.get("type") in ("function_call", "custom_tool_call"):
            found[item["name"]] = "function" if item["type"] == "function_call" else "custom"
    return found


def tools_in(fmt: str, calls: dict[str, str]) -> list[dict[str, Any]]:
    """Declarations of ``calls`` in ``fmt`` (anthropic has no custom tools: a custom call stays a function there)."""
    schema = {"type": "object", "properties": {}}
    if fmt == "anthropic":
        return [{"name": name, "input_schema": schema} for name in calls]
    if fmt == "chat":
        return [{"type": "custom", "custom": {"name": name}} if kind == "custom"
                else {"type": "function", "function": {"name": name, "parameters": schema}}
                for name, kind in calls.items()]
    return [{"type": "custom", "name": name} if kind == "custom"
            else {"type": "function", "name": name, "parameters": schema, "strict": False}
            for name, kind in calls.items()]
