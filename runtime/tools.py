"""Tool definitions across formats: names, schemas, custom and namespace tools.

These run on the hub request before a spoke writes it out, and record in the
``TranslationContext`` whatever the response direction needs to undo.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import orjson

from .context import TranslationContext
from .hub import Part, Request, Tool, tool_call_input
from .losses import LossCollector, join_path

# Longest tool name each format accepts (`^[a-zA-Z0-9_-]{1,N}$`).
NAME_LIMITS = {"anthropic": 128, "chat": 64, "responses": 64}
NAMESPACE_SEPARATOR = "__"

# The one argument of a function tool that stands in for a Responses custom (freeform) tool.
CUSTOM_INPUT_KEY = "input"

# Schema keywords a target refuses in tool parameters.  OpenAI-style providers reject the draft marker
# Claude Code puts on every tool; Anthropic refuses composition keywords at the top level of input_schema.
REJECTED_SCHEMA_KEYWORDS: dict[str, frozenset[str]] = {
    "anthropic": frozenset(),
    "chat": frozenset({"$schema"}),
    "responses": frozenset({"$schema"}),
}
# The loss reason of each of those, made once: Claude Code's `$schema` is reported for every tool of every request.
_REJECTED_REASONS = {(target, key): f"{target} rejects the `{key}` keyword in tool schemas"
                     for target, keys in REJECTED_SCHEMA_KEYWORDS.items() for key in keys}
ANTHROPIC_TOP_LEVEL_REJECTED = frozenset({"oneOf", "anyOf", "allOf"})
_NO_KEYWORDS: frozenset[str] = frozenset()


def shorten_name(name: str, limit: int = 64) -> str:
    """A name within ``limit`` characters: a prefix plus a hash of the whole name, so it is reversible
    through the context map and stable across requests (the same long name always gives the same short)."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9]}_{digest}"


def flatten_namespace(namespace: str, name: str) -> str:
    return f"{namespace}{NAMESPACE_SEPARATOR}{name}"


def custom_tool_schema(description: str | None = None) -> dict[str, Any]:
    """Parameters of the function tool that stands in for a custom tool: one free-text string."""
    prop: dict[str, Any] = {"type": "string"}
    if description:
        prop["description"] = description
    return {
        "type": "object",
        "properties": {CUSTOM_INPUT_KEY: prop},
        "required": [CUSTOM_INPUT_KEY],
        "additionalProperties": False,
    }


def grammar_hint(format_: dict[str, Any] | None) -> str | None:
    """Describe a custom tool's grammar in words, since a function schema cannot carry it."""
    if not format_ or format_.get("type") != "grammar":
        return None
    return (
        f"Raw text input following this {format_.get('syntax', 'grammar')} grammar "
        f"(not JSON-encoded):\n{format_.get('definition', '')}"
    )


def clean_schema(schema: Any, target: str, path: str, losses: LossCollector) -> dict[str, Any]:
    """The schema with keywords ``target`` rejects removed (reported), and a missing top level filled in."""
    if not isinstance(schema, dict):
        losses.synthesized(path, "tool parameters were missing; an empty object schema was used")
        return {"type": "object", "properties": {}}
    rejected = REJECTED_SCHEMA_KEYWORDS.get(target, _NO_KEYWORDS)
    cleaned = dict(schema)
    if not rejected.isdisjoint(schema):
        for key in schema:
            if key in rejected:
                del cleaned[key]
                losses.dropped(join_path(path, key), _REJECTED_REASONS[target, key])
    if target == "anthropic":
        if not ANTHROPIC_TOP_LEVEL_REJECTED.isdisjoint(cleaned):  # most have none: spare building the intersection
            for key in ANTHROPIC_TOP_LEVEL_REJECTED & cleaned.keys():
                del cleaned[key]
                losses.dropped(join_path(path, key), f"anthropic rejects `{key}` at the top level of input_schema")
        if cleaned.get("type") != "object":
            losses.coerced(join_path(path, "type"), "anthropic requires input_schema of type object")
            cleaned["type"] = "object"
    return cleaned


def bridge_custom_call(part: Part) -> Part:
    """A custom tool call written as a function call with one `input` string argument."""
    bridged = {k: v for k, v in part.items() if k not in ("custom_input", "input", "arguments")}
    bridged["kind"] = "function"
    bridged["arguments"] = orjson.dumps({CUSTOM_INPUT_KEY: part.get("custom_input", "")}).decode()
    return bridged


def adapt_tools(req: Request, target: str, ctx: TranslationContext, losses: LossCollector) -> None:
    """Rewrite tool definitions, tool choice and tool calls in ``req`` so ``target`` accepts them."""
    renames: dict[tuple[str | None, str], str] = {}
    limit = NAME_LIMITS[target]

    def upstream_name(namespace: str | None, name: str) -> str:
        if not namespace and len(name) <= limit:
            return name  # nothing to flatten or shorten, so nothing to remember
        key = (namespace, name)
        if key in renames:
            return renames[key]
        new = name
        if namespace and target != "responses":
            new = flatten_namespace(namespace, name)
            ctx.namespaced_tools[new] = [namespace, name]
        short = shorten_name(new, limit)
        if short != new:
            ctx.tool_names[short] = new
            if namespace and target != "responses":
                # Looked up by the name the upstream calls too, so readers need not unshorten first.
                ctx.namespaced_tools[short] = [namespace, name]
        renames[key] = short
        return short

    # Custom tools stay custom only where the target is the client's own format or Responses; most
    # chat providers and Anthropic know function tools only.
    bridge = target != "responses" and target != req.source
    for tool in req.tools or []:
        if tool.kind == "server":
            continue
        client_name = tool.name
        if tool.kind == "custom" and bridge:
            _bridge_custom_tool(tool)
            losses.coerced(tool.path, f"{target} has no freeform tools; bridged to a function tool with one "
                           f"string argument `{CUSTOM_INPUT_KEY}`, the grammar given in its description")
            if client_name not in ctx.custom_tools:
                ctx.custom_tools.append(client_name)
        if tool.namespace or len(client_name) > limit:  # most tools keep their name: spare the call
            tool.name = upstream_name(tool.namespace, client_name)
        if tool.namespace and target != "responses":
            if tool.namespace_description:
                losses.coerced(tool.path, f"{target} has no tool namespaces; flattened to `{tool.name}`, "
                                          "the namespace description is dropped")
            tool.namespace = None

    for message in req.messages:
        for part in message.content:
            if part["type"] != "tool_call":
                if part["type"] == "tool_result" and part.get("kind") == "custom" and bridge:
                    part["kind"] = "function"
                    losses.coerced(part.get("path", message.path), "the output of a freeform call, sent as "
                                                                   "the output of its function stand-in")
                continue
            if part.get("kind") == "custom" and bridge:
                part.update(bridge_custom_call(part))
                part.pop("custom_input", None)
                losses.coerced(part.get("path", message.path), "a freeform call, sent as a call of its "
                                                               "function stand-in")
            part["name"] = upstream_name(part.get("namespace"), part["name"])
            if target != "responses":
                part.pop("namespace", None)

    choice = req.tool_choice
    if choice is not None and choice.name:
        choice.name = upstream_name(None, choice.name)
        if choice.kind == "custom" and bridge:
            choice.kind = "function"
            losses.coerced(choice.path, "names the function stand-in of a freeform tool")


def _bridge_custom_tool(tool: Tool) -> None:
    hint = grammar_hint(tool.format)
    tool.kind = "function"
    tool.parameters = custom_tool_schema(hint)
    tool.format = None


def copy_tools(tools: list[Tool] | None) -> list[Tool] | None:
    return copy.deepcopy(tools)


def restore_client_tools(parts: list[Part], ctx: TranslationContext, client_format: str) -> None:
    """Give tool calls the names (and namespace, custom kind) the client defined its tools with."""
    for part in parts:
        if part["type"] != "tool_call":
            continue
        name = ctx.client_tool_name(part["name"])
        if name in ctx.namespaced_tools and client_format == "responses":
            part["namespace"], name = ctx.namespaced_tools[name]
        part["name"] = name
        if name in ctx.custom_tools and part.get("kind") != "custom":
            arguments = tool_call_input(part)
            value = arguments.get(CUSTOM_INPUT_KEY, "")
            part["kind"] = "custom"
            part["custom_input"] = value if isinstance(value, str) else orjson.dumps(value).decode()
            part.pop("arguments", None)
            part.pop("input", None)
