"""Spellings the APIs define as the same thing, reduced to one before bodies are compared.

Each rule is one the API references state; nothing here hides a change of meaning:

- a string content is one text block (`content: "x"` = `[{"type": "text", "text": "x"}]`), in messages, tool
  results, system prompts and Responses items alike;
- a Responses `input` string is one user message, an input message's `type: "message"` is its default, and
  `instructions` is a system message ahead of the input (a chat round trip gives it back as one);
- an empty object parameter (`metadata: {}`) sets nothing, like an absent one; `strict: false` is the
  default of Anthropic and chat tools, `type: "custom"` of Anthropic client tools, a `text` response format of
  chat and Responses, `tool_choice: auto` with tools, `parallel_tool_calls: true`, image `detail: auto`; a chat
  `stop` string is a list of one, `is_error: false` of a tool result; a usage detail counter of 0 is an absent one;
- a chat assistant turn's single refusal part is its `refusal` field;
- a Responses input item's `id` and `status` are server bookkeeping (not compared), except a reasoning item's;
- an answer's server bookkeeping and request echoes (chat `created`, `system_fingerprint`, `service_tier`,
  `metadata`; every Responses field but id, object, model, output, status, incomplete_details, usage and
  error; output item ids and statuses) cannot come from another format and are not compared;
- tool-call `arguments` are JSON text: compared as the values they encode;
- Anthropic has one system prompt, at the top: system messages leading `messages` are that prompt
  (Claude Code sends them; a chat or Responses round trip gives them back as `system`);
- the token limit, stop strings and system prompt have one name per format; a loss reported under one
  name (e.g. "anthropic requires max_tokens", path `max_tokens`) is about the same field under the others.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

_TEXT_TYPES = ("text", "input_text", "output_text")
_CONTENT_KEYS = ("content", "output", "system")


def _as_string(value: Any) -> Any:
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict) \
            and value[0].get("type") in _TEXT_TYPES and "text" in value[0] \
            and all(value[0].get(key) in ([], None) for key in value[0].keys() - {"type", "text"}):
        return value[0]["text"]  # empty `annotations` / `logprobs` of an output_text say nothing
    return value


def _strings_for_single_blocks(value: Any) -> Any:
    """Also: tool-call `arguments` strings compared as the JSON values they encode (spacing is not meaning)."""
    if isinstance(value, dict):
        if isinstance(value.get("arguments"), str):
            value = value | {"arguments": _json_value(value["arguments"])}
        return {key: _as_string(_strings_for_single_blocks(item)) if key in _CONTENT_KEYS
                else _strings_for_single_blocks(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_strings_for_single_blocks(item) for item in value]
    return value


def _json_value(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else {}
    except ValueError:
        return text


def _blocks(content: Any) -> list[dict[str, Any]]:
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content)


def _shifted(path: str, key: str, offset: int) -> str:
    """``key[i]...`` as ``key[i + offset]...``."""
    head = f"{key}["
    if not path.startswith(head):
        return path
    index, _, rest = path[len(head):].partition("]")
    return f"{key}[{int(index) + offset}]{rest}"


def _anthropic_system_on_top(body: dict[str, Any]) -> Callable[[str], str]:
    messages = body.get("messages") or []
    leading = 0
    while leading < len(messages) and messages[leading].get("role") == "system" \
            and messages[leading].keys() == {"role", "content"}:
        leading += 1
    if not leading:
        return lambda path: path
    system = _blocks(body.get("system", []))
    for message in messages[:leading]:
        system += _blocks(message["content"])
    body["system"] = system
    body["messages"] = messages[leading:]

    def remap(path: str) -> str:
        moved = _shifted(path, "messages", -leading)
        return "system" if moved.startswith("messages[-") else moved
    return remap


def _system_messages_cover_the_system_prompt(body: dict[str, Any]) -> Callable[[str], list[str]]:
    """A loss reported on a system message moved into the system prompt is a loss of that prompt too."""
    system_paths = {f"messages[{i}]" for i, m in enumerate(body.get("messages") or []) if m.get("role") == "system"}

    def also(path: str) -> list[str]:
        return ["system"] if path.split(".", 1)[0] in system_paths else []
    return also


def _responses_instructions_as_input(body: dict[str, Any]) -> Callable[[str], str]:
    """A string input is one user message; `instructions` is a system message ahead of the input."""
    if isinstance(body.get("input"), str):
        body["input"] = [{"role": "user", "content": body["input"]}]
    offset = 0
    if isinstance(body.get("instructions"), str):
        body["input"] = [{"role": "system", "content": body.pop("instructions")}] + list(body.get("input") or [])
        offset = 1
    for item in body.get("input") or []:
        if item.get("type", "message") in _BOOKKEEPING_ITEMS:
            for key in _ITEM_BOOKKEEPING:
                item.pop(key, None)
        if item.get("type") == "message" and "role" in item:
            del item["type"]

    def remap(path: str) -> str:
        if path == "instructions":
            return "input[0]"
        if path == "input":
            return f"input[{offset}]"
        return _shifted(path, "input", offset)
    return remap


def _defaults_left_out(body: dict[str, Any], fmt: str) -> None:
    """Values the API reference gives as the default of an optional field, spelled out or not."""
    for tool in body.get("tools") or []:
        holder = tool.get("function", tool) if fmt == "chat" else tool
        if fmt in ("anthropic", "chat") and holder.get("strict") is False:
            del holder["strict"]
        if fmt == "anthropic" and tool.get("type") == "custom":
            del tool["type"]  # a client tool of anthropic is `custom` when no type is given
    if fmt == "chat" and body.get("response_format") == {"type": "text"}:
        del body["response_format"]
    if fmt == "chat" and isinstance(body.get("stop"), str):
        body["stop"] = [body["stop"]]  # one stop string or a list of them
    if body.get("tools") and body.get("tool_choice") in ("auto", {"type": "auto"}):
        del body["tool_choice"]  # `auto` is what a request with tools gets without a choice
    if body.get("parallel_tool_calls") is True:
        del body["parallel_tool_calls"]  # parallel calls are allowed unless turned off
    for message in body.get("messages") or []:
        content = message.get("content")
        if fmt == "chat" and isinstance(content, list) and "refusal" not in message:
            refusals = [part for part in content if part.get("type") == "refusal"]
            if len(refusals) == 1:  # one refusal part is what the `refusal` field says
                message["refusal"] = refusals[0]["refusal"]
                message["content"] = [part for part in content if part.get("type") != "refusal"] or None
        for part in message.get("content") if isinstance(message.get("content"), list) else []:
            if fmt == "chat" and part.get("type") == "image_url" and part["image_url"].get("detail") == "auto":
                del part["image_url"]["detail"]
            for block in [part] + (part["content"] if isinstance(part.get("content"), list) else []):
                if fmt == "anthropic" and block.get("citations") == {}:
                    del block["citations"]  # a citations config that enables nothing
            if fmt == "anthropic" and part.get("type") == "tool_result" and part.get("is_error") is False:
                del part["is_error"]
    if fmt == "responses" and body.get("text", {}).get("format") == {"type": "text"}:
        del body["text"]["format"]
        if not body["text"]:
            del body["text"]


# Answer fields that are the server's bookkeeping or echoes of the request: an answer coming from another
# format has none of them, and the spokes keep them for the same format only (the hub's `quiet`).
_ANSWER_BOOKKEEPING = {"chat": ("created", "system_fingerprint", "service_tier", "metadata"), "anthropic": ()}
# A Responses object echoes every request parameter; only these fields are the answer itself.
_RESPONSES_ANSWER = ("id", "object", "model", "output", "status", "incomplete_details", "usage", "error")
_ITEM_BOOKKEEPING = ("id", "status")
# Input items whose id and status are the server's bookkeeping (`call_id` links a call to its output); a
# reasoning item's id is compared: its encrypted content is only valid with it.
_BOOKKEEPING_ITEMS = ("message", "function_call", "function_call_output", "custom_tool_call",
                      "custom_tool_call_output")


def _zero_counters_dropped(usage: Any) -> Any:
    """A usage detail counter of 0 says what an absent one says."""
    if not isinstance(usage, dict):
        return usage
    out = {}
    for key, value in usage.items():
        if isinstance(value, dict):
            value = _zero_counters_dropped(value)
            if value:
                out[key] = value
        elif not (value == 0 and key.endswith("_tokens") and key not in _MAIN_COUNTERS):
            out[key] = value
    return out


_MAIN_COUNTERS = {"input_tokens", "output_tokens", "total_tokens", "prompt_tokens", "completion_tokens",
                  "cache_creation_input_tokens", "cache_read_input_tokens"}


def _answer_loss_moves(fmt: str) -> Callable[[str], list[str]]:
    """Where a reported change of an answer shows up besides its own path: a chat refusal coerced to text
    joins the content; a Responses `status` and its `incomplete_details` say one thing."""
    def also(path: str) -> list[str]:
        if fmt == "chat" and path.endswith(".refusal"):
            return [path[: -len("refusal")] + "content"]
        content_part = re.fullmatch(r"(messages\[\d+\])\.content\[\d+\]", path)
        if fmt == "chat" and content_part:  # a refusal part is compared as the `refusal` field (see above)
            return [content_part.group(1) + ".refusal"]
        if fmt == "responses" and path == "status":
            return ["incomplete_details"]
        return []
    return also


def _answer_without_bookkeeping(body: dict[str, Any], fmt: str) -> None:
    for key in list(body):
        if key in _ANSWER_BOOKKEEPING.get(fmt, ()) or (fmt == "responses" and key not in _RESPONSES_ANSWER):
            del body[key]
    if "usage" in body:
        body["usage"] = _zero_counters_dropped(body["usage"])
    if fmt == "responses":
        for item in body.get("output") or []:
            if item.get("type") in _BOOKKEEPING_ITEMS or item.get("type") == "reasoning":
                for key in _ITEM_BOOKKEEPING:  # clients answer a call by its call_id, not its item id
                    item.pop(key, None)
    if fmt == "chat":
        for choice in body.get("choices") or []:
            if choice.get("message", {}).get("refusal", "") is None:
                del choice["message"]["refusal"]  # nullable and optional: null is no refusal


Remap = Callable[[str], list[str]]


def canonical(body: dict[str, Any], fmt: str, kind: str = "request") -> tuple[dict[str, Any], Remap]:
    """``body`` with each equivalent spelling above reduced to one, and where its loss paths went."""
    body = copy.deepcopy(body)
    move: Callable[[str], str] = lambda path: path  # noqa: E731
    also: Callable[[str], list[str]] = lambda path: []  # noqa: E731
    if kind == "request":
        # An empty object sets nothing (`metadata: {}`, `output_config: {}`): the same as leaving it out.
        for key in [key for key, value in body.items() if value == {}]:
            del body[key]
        _defaults_left_out(body, fmt)
    else:
        _answer_without_bookkeeping(body, fmt)
        also = _answer_loss_moves(fmt)
    if kind == "request" and fmt == "anthropic":
        also = _system_messages_cover_the_system_prompt(body)
        move = _anthropic_system_on_top(body)
    if kind == "request" and fmt == "responses":
        move = _responses_instructions_as_input(body)
    if kind == "request" and fmt == "chat":
        also = _answer_loss_moves(fmt)  # a refusal given as text shows up in the content
    return _strings_for_single_blocks(body), lambda path: [move(path), *also(path)]


_SAME_FIELD = [
    {"max_tokens", "max_output_tokens", "max_completion_tokens"},
    {"stop_sequences", "stop"},
    {"system", "instructions"},
    {"thinking", "reasoning", "reasoning_effort"},  # one reasoning setting, three spellings
    {"user", "safety_identifier", "metadata"},  # one end-user id: chat/Responses keys, anthropic metadata.user_id
]

# Where each format keeps the conversation. The second leg's losses are paths into the middle body, whose
# conversation is laid out differently (anthropic turns, chat messages, Responses items), so a loss it reports
# inside the conversation accounts for a change inside the source's conversation; anywhere else the top-level
# names must match (or be synonyms above).
CONVERSATION = ("messages", "input", "system", "instructions")


def middle_loss_paths(paths: list[str]) -> list[str]:
    """The second leg's loss paths as source paths they can account for (see CONVERSATION)."""
    out = []
    for path in paths:
        head = path.split(".", 1)[0].split("[", 1)[0]
        out += list(CONVERSATION) if head in CONVERSATION else [path]
    return out


def loss_paths_with_synonyms(paths: list[str]) -> list[str]:
    """Loss paths plus the same top-level field under its name in the other formats. A reported usage
    coercion moves tokens between counters (cache writes chat cannot name count as input), so it covers
    the whole usage object."""
    out = list(paths)
    for path in paths:
        if path.startswith("usage."):
            out.append("usage")
        if path == "output_config.effort":  # anthropic's effort is part of the reasoning setting
            out += ["thinking", "reasoning", "reasoning_effort"]
        head_key = path.split(".", 1)[0].split("[", 1)[0]
        for names in _SAME_FIELD:
            if head_key in names:
                out += [name + path[len(head_key):] for name in names - {head_key}]
    return out
