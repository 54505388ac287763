"""The official SDK types as judges of what we write.

The SDKs' request TypedDicts declare their lists as ``Iterable``, which pydantic does not look into, so
we validate the top level and then each message / item / content block with its own type.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError


@cache
def _adapter(kind: str) -> TypeAdapter[Any]:
    if kind == "anthropic.request":
        from anthropic.types.message_create_params import MessageCreateParamsNonStreaming as T
    elif kind == "anthropic.request.stream":
        from anthropic.types.message_create_params import MessageCreateParamsStreaming as T
    elif kind == "anthropic.message":
        from anthropic.types import MessageParam as T
    elif kind == "anthropic.block":
        from anthropic.types import ContentBlockParam as T
    elif kind == "anthropic.tool":
        from anthropic.types import ToolUnionParam as T
    elif kind == "anthropic.text":
        from anthropic.types import TextBlockParam as T
    elif kind == "chat.request":
        from openai.types.chat.completion_create_params import CompletionCreateParamsNonStreaming as T
    elif kind == "chat.request.stream":
        from openai.types.chat.completion_create_params import CompletionCreateParamsStreaming as T
    elif kind == "chat.message":
        from openai.types.chat import ChatCompletionMessageParam as T
    elif kind == "chat.tool":
        from openai.types.chat import ChatCompletionToolUnionParam as T
    elif kind == "responses.request":
        from openai.types.responses.response_create_params import ResponseCreateParamsNonStreaming as T
    elif kind == "responses.request.stream":
        from openai.types.responses.response_create_params import ResponseCreateParamsStreaming as T
    elif kind == "responses.item":
        from openai.types.responses import ResponseInputItemParam as T
    elif kind == "responses.tool":
        from openai.types.responses import ToolParam as T
    else:
        raise KeyError(kind)
    return TypeAdapter(T)


def validate_request(fmt: str, body: dict[str, Any]) -> None:
    """Fail when the SDK's types reject ``body`` as a ``fmt`` request (first lines of the reason only)."""
    try:
        _validate_request(fmt, body)
    except ValidationError as error:
        raise AssertionError(f"the {fmt} SDK types reject the body: {str(error)[:1500]}") from None


def _validate_request(fmt: str, body: dict[str, Any]) -> None:
    _adapter(f"{fmt}.request.stream" if body.get("stream") else f"{fmt}.request").validate_python(body)
    if fmt == "anthropic":
        system = body.get("system")
        if isinstance(system, list):
            for block in system:
                _adapter("anthropic.text").validate_python(block)
        for message in body["messages"]:
            if message.get("role") == "system":
                continue  # Claude Code sends these; the SDK types do not list the role yet
            _adapter("anthropic.message").validate_python(message)
            if isinstance(message["content"], list):
                for block in message["content"]:
                    _adapter("anthropic.block").validate_python(block)
                    assert block.get("type") != "text" or block["text"], "empty text block"
        for tool in body.get("tools") or []:
            _adapter("anthropic.tool").validate_python(tool)
    elif fmt == "chat":
        for message in body["messages"]:
            _adapter("chat.message").validate_python(message)
        for tool in body.get("tools") or []:
            _adapter("chat.tool").validate_python(tool)
    elif fmt == "responses":
        if isinstance(body.get("input"), list):
            for item in body["input"]:
                _adapter("responses.item").validate_python(item)
        for tool in body.get("tools") or []:
            _adapter("responses.tool").validate_python(tool)
    else:
        raise KeyError(fmt)


def validate_response(fmt: str, body: dict[str, Any]) -> Any:
    """The SDK's parsed response object; raises when the SDK rejects ``body``."""
    if fmt == "anthropic":
        from anthropic.types import Message
        return Message.model_validate(body)
    if fmt == "chat":
        from openai.types.chat import ChatCompletion
        return ChatCompletion.model_validate(body)
    if fmt == "responses":
        from openai.types.responses import Response
        return Response.model_validate(body)
    raise KeyError(fmt)
