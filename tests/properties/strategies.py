"""Valid requests and responses of each format, generated from the generated models.

Every block, item, tool and parameter comes from ``walker.Walker`` reading the models in
``apiswitch.generated.<format>``. On top of that, a short list of realism rules keeps the bodies ones the
real API accepts and real clients send; each rule is a function below with the reason in its docstring:

- conversation structure: the roles take turns; a tool result answers a call of the turn just before it,
  with its id, and every call gets its result; ids are unique in a request;
- a tool call names a tool the request defines (of the same kind: function or custom), tool names are
  unique, and a named ``tool_choice`` names one of them;
- an assistant turn or answer lists reasoning first, then text, then tool calls (as the models write them);
- parameter combinations the APIs refuse are not sent (sampling or forced tools while Anthropic thinking
  is on, two token limits in one chat request, stream options without a stream, ...);
- an answer's stop reason agrees with its content (tool calls <-> tool_use / tool_calls) and usage totals add up.
"""

from __future__ import annotations

import json
from typing import Any

import apiswitch.generated.anthropic.models as anthropic_models
import apiswitch.generated.chat.models as chat_models
import apiswitch.generated.responses.models as responses_models
from hypothesis import strategies as st

from .walker import Focus, Walker, json_objects, words

ID_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
ids = st.text(ID_ALPHABET, min_size=4, max_size=12)
# Tool names every target accepts (^[a-zA-Z0-9_-]{1,64}$); long names have their own regression tests.
tool_names = st.text(ID_ALPHABET + "_-", min_size=1, max_size=24)
base64_data = st.sampled_from(["iVBORw0KGgo=", "R0lGODlhAQABAAAAACw=", "JVBERi0xLjQK"])
image_urls = st.sampled_from(["https://example.com/cat.png", "https://example.com/a/b.jpg?x=1"])
pdf_urls = st.just("https://example.com/paper.pdf")
# JSON schema objects as tools and structured outputs declare them.
schemas = st.fixed_dictionaries(
    {"type": st.just("object"),
     "properties": st.dictionaries(st.text("abcdefghij_", min_size=1, max_size=6), st.fixed_dictionaries(
         {"type": st.sampled_from(["string", "integer", "boolean", "number"])}), max_size=3)},
    optional={"additionalProperties": st.just(False)})
arguments_json = json_objects.map(json.dumps)
small_counts = st.integers(0, 5000)


def _prefixed(prefix: str) -> st.SearchStrategy[str]:
    return ids.map(lambda s: prefix + s)


# --- anthropic --------------------------------------------------------------------------------------------

ANTHROPIC_REQUEST_MODELS = {
    "MessageCreateParams", "UserMessageParam", "AssistantMessageParam", "SystemMessageParam",
    "TextBlockParam", "ImageBlockParam", "DocumentBlockParam", "ThinkingBlockParam", "RedactedThinkingBlockParam",
    "ToolUseBlockParam", "ToolResultBlockParam", "Base64ImageSourceParam", "URLImageSourceParam",
    "Base64PDFSourceParam", "PlainTextSourceParam", "URLPDFSourceParam", "CitationsConfigParam",
    "CacheControlEphemeralParam", "ToolParam", "ToolChoiceAutoParam", "ToolChoiceAnyParam", "ToolChoiceToolParam",
    "ToolChoiceNoneParam", "ThinkingConfigEnabledParam", "ThinkingConfigAdaptiveParam",
    "ThinkingConfigDisabledParam", "OutputConfigParam", "JSONOutputFormatParam", "MetadataParam",
}
ANTHROPIC_RESPONSE_MODELS = {"Message", "TextBlock", "ThinkingBlock", "RedactedThinkingBlock", "ToolUseBlock", "Usage"}

anthropic = Walker(Focus(
    module=anthropic_models,
    models=frozenset(ANTHROPIC_REQUEST_MODELS | ANTHROPIC_RESPONSE_MODELS),
    values={
        "MessageCreateParams.max_tokens": st.integers(1, 64_000),
        "MessageCreateParams.top_k": st.integers(1, 500),
        "ThinkingConfigEnabledParam.budget_tokens": st.integers(1024, 32_000),
        "ToolUseBlockParam.id": _prefixed("toolu_"), "ToolUseBlock.id": _prefixed("toolu_"),
        "ToolUseBlockParam.name": tool_names, "ToolUseBlock.name": tool_names,
        "ToolUseBlockParam.input": json_objects, "ToolUseBlock.input": json_objects,
        "ToolParam.name": tool_names, "ToolChoiceToolParam.name": tool_names,
        "ToolParam.input_schema": schemas, "JSONOutputFormatParam.schema_": schemas,
        "ToolParam.input_examples": st.lists(json_objects, min_size=1, max_size=2),
        "Base64ImageSourceParam.data": base64_data, "Base64PDFSourceParam.data": base64_data,
        "URLImageSourceParam.url": image_urls, "URLPDFSourceParam.url": pdf_urls,
        "ThinkingBlockParam.signature": ids, "ThinkingBlock.signature": ids,
        "RedactedThinkingBlockParam.data": ids, "RedactedThinkingBlock.data": ids,
        "Message.id": _prefixed("msg_"),
    },
    members={
        # What each role's turn holds in a conversation real clients send.
        "UserMessageParam.content": frozenset({"TextBlockParam", "ImageBlockParam", "DocumentBlockParam"}),
        "AssistantMessageParam.content": frozenset({"TextBlockParam", "ThinkingBlockParam",
                                                   "RedactedThinkingBlockParam", "ToolUseBlockParam"}),
    },
    skip=frozenset({
        "MessageCreateParams.container",  # state of the code-execution server tool, not in focus
        "ToolParam.allowed_callers",  # programmatic tool calling from Anthropic's code execution
        "ToolUseBlockParam.toolset_name", "ToolResultBlockParam.toolset_name",  # browser / computer toolsets
        "ToolUseBlock.toolset_name",
    }),
    always=frozenset({"Usage.cache_creation_input_tokens", "Usage.cache_read_input_tokens"}),
))


def _reasoning_text_calls(blocks: list[dict], reasoning: set[str], calls: set[str]) -> list[dict]:
    """Models write their reasoning first and their tool calls last; history hands that order back."""
    def rank(block: dict) -> int:
        return 0 if block["type"] in reasoning else 2 if block["type"] in calls else 1
    return sorted(blocks, key=rank)


def _unique_by(items: list[dict], key: Any) -> list[dict]:
    seen: set[Any] = set()
    out = []
    for item in items:
        if key(item) not in seen:
            seen.add(key(item))
            out.append(item)
    return out


@st.composite
def anthropic_requests(draw: st.DrawFn) -> dict[str, Any]:
    body = draw(anthropic.model("MessageCreateParams").map(
        lambda b: {k: v for k, v in b.items() if k not in ("messages", "tools", "tool_choice")}))
    tools = _unique_by(draw(st.just([]) | anthropic.field("MessageCreateParams", "tools")), lambda t: t["name"])
    if tools:
        body["tools"] = tools
        choice = draw(st.none() | anthropic.field("MessageCreateParams", "tool_choice"))
        if choice is not None:
            if choice["type"] == "tool":
                choice["name"] = draw(st.sampled_from([t["name"] for t in tools]))
            body["tool_choice"] = choice
    body["messages"] = draw(_anthropic_conversation([t["name"] for t in tools]))
    return _anthropic_params_it_accepts(body)


@st.composite
def _anthropic_conversation(draw: st.DrawFn, tool_names_defined: list[str]) -> list[dict]:
    """user, assistant, user, ...: each user turn first answers every tool call of the turn before it."""
    user_blocks = anthropic.field("UserMessageParam", "content")
    assistant = anthropic.model("AssistantMessageParam")
    messages: list[dict] = []
    pending: list[str] = []
    taken: set[str] = set()
    turns = draw(st.integers(1, 3))
    for turn in range(turns):
        content = draw(user_blocks)
        if pending:
            results = [draw(anthropic.model("ToolResultBlockParam")) | {"tool_use_id": call_id}
                       for call_id in pending]
            content = results + ([{"type": "text", "text": content}] if isinstance(content, str) else content)
        messages.append({"role": "user", "content": content})
        pending = []
        # The last turn is the user's, unless the client asked the model to continue a prefill.
        if turn == turns - 1 and not draw(st.booleans()):
            break
        reply = draw(assistant)
        if isinstance(reply["content"], list):
            blocks = []
            for block in reply["content"]:
                if block["type"] == "tool_use":
                    if not tool_names_defined or block["id"] in taken or turn == turns - 1:
                        continue  # no tool to call / duplicate id / a prefill cannot end in a call
                    block["name"] = draw(st.sampled_from(tool_names_defined))
                    taken.add(block["id"])
                    pending.append(block["id"])
                blocks.append(block)
            if not blocks:
                blocks = [{"type": "text", "text": draw(words)}]
            reply["content"] = _reasoning_text_calls(blocks, {"thinking", "redacted_thinking"}, {"tool_use"})
        messages.append(reply)
    if draw(st.integers(0, 4)) == 0:  # Claude Code puts system reminders inside `messages`
        system = draw(anthropic.model("SystemMessageParam"))
        messages.insert(draw(st.integers(0, len(messages) - 1)), system)
    return messages


def _anthropic_params_it_accepts(body: dict[str, Any]) -> dict[str, Any]:
    """Anthropic refuses sampling changes and forced tool use while thinking, and a budget >= max_tokens."""
    if body.get("thinking", {}).get("type") in ("enabled", "adaptive"):
        for key in ("temperature", "top_k", "top_p"):
            body.pop(key, None)
        if body.get("tool_choice", {}).get("type") in ("any", "tool"):
            body["tool_choice"] = {"type": "auto"}
        if body["thinking"].get("budget_tokens", 0) >= body["max_tokens"]:
            body["max_tokens"] = body["thinking"]["budget_tokens"] + 1
    return body


@st.composite
def anthropic_responses(draw: st.DrawFn) -> dict[str, Any]:
    message = draw(anthropic.model("Message"))
    message["content"] = _reasoning_text_calls(
        _unique_by(message["content"], lambda b: b.get("id") or id(b)),
        {"thinking", "redacted_thinking"}, {"tool_use"})
    has_calls = any(block["type"] == "tool_use" for block in message["content"])
    stop = message.get("stop_reason") or "end_turn"
    message["stop_reason"] = "tool_use" if has_calls else ("end_turn" if stop == "tool_use" else stop)
    if message["stop_reason"] == "stop_sequence":
        message["stop_sequence"] = message.get("stop_sequence") or draw(words)
    else:
        message["stop_sequence"] = None  # the API sends the key with null
    return message


# --- chat -------------------------------------------------------------------------------------------------

CHAT_REQUEST_MODELS = {
    "ChatCompletionCreateParams", "ChatCompletionSystemMessageParam", "ChatCompletionDeveloperMessageParam",
    "ChatCompletionUserMessageParam", "ChatCompletionAssistantMessageParam", "ChatCompletionToolMessageParam",
    "ChatCompletionContentPartTextParam", "ChatCompletionContentPartImageParam", "ImageURL", "File", "FileFile",
    "ChatCompletionContentPartRefusalParam",
    "ChatCompletionMessageFunctionToolCallParam", "ChatCompletionMessageFunctionToolCallParamFunction",
    "ChatCompletionMessageCustomToolCallParam", "ChatCompletionMessageCustomToolCallParamCustom",
    "ChatCompletionFunctionToolParam", "FunctionDefinition", "ChatCompletionCustomToolParam",
    "ChatCompletionCustomToolParamCustom", "CustomFormatText", "CustomFormatGrammar", "CustomFormatGrammarGrammar",
    "ChatCompletionNamedToolChoiceParam", "ChatCompletionNamedToolChoiceParamFunction",
    "ChatCompletionNamedToolChoiceCustomParam", "ChatCompletionNamedToolChoiceCustomParamCustom",
    "ResponseFormatText", "ResponseFormatJSONSchema", "JSONSchema", "ResponseFormatJSONObject",
    "ChatCompletionStreamOptionsParam",
}
CHAT_RESPONSE_MODELS = {
    "ChatCompletion", "ChatCompletionChoice", "ChatCompletionMessage", "ChatCompletionMessageFunctionToolCall",
    "ChatCompletionMessageFunctionToolCallFunction", "ChatCompletionMessageCustomToolCall",
    "ChatCompletionMessageCustomToolCallCustom", "CompletionUsage", "CompletionTokensDetails",
    "PromptTokensDetails",
}

chat = Walker(Focus(
    module=chat_models,
    models=frozenset(CHAT_REQUEST_MODELS | CHAT_RESPONSE_MODELS),
    values={
        "ChatCompletionMessageFunctionToolCallParam.id": _prefixed("call_"),
        "ChatCompletionMessageCustomToolCallParam.id": _prefixed("call_"),
        "ChatCompletionMessageFunctionToolCall.id": _prefixed("call_"),
        "ChatCompletionMessageCustomToolCall.id": _prefixed("call_"),
        "ChatCompletionMessageFunctionToolCallParamFunction.arguments": arguments_json,
        "ChatCompletionMessageFunctionToolCallFunction.name": tool_names,
        "ChatCompletionMessageCustomToolCallCustom.name": tool_names,
        "ChatCompletionMessageFunctionToolCallFunction.arguments": arguments_json,
        "FunctionDefinition.name": tool_names, "ChatCompletionCustomToolParamCustom.name": tool_names,
        "FunctionDefinition.parameters": schemas, "JSONSchema.schema_": schemas, "JSONSchema.name": tool_names,
        "ImageURL.url": image_urls | base64_data.map(lambda d: "data:image/png;base64," + d),
        "FileFile.file_data": base64_data.map(lambda d: "data:application/pdf;base64," + d),
        "FileFile.file_id": _prefixed("file-"),
        "ChatCompletion.id": _prefixed("chatcmpl-"),
        "ChatCompletionCreateParams.max_tokens": st.integers(1, 64_000),
        "ChatCompletionCreateParams.max_completion_tokens": st.integers(1, 64_000),
        "ChatCompletionCreateParams.temperature": st.floats(0, 2),
        "ChatCompletionCreateParams.seed": st.integers(0, 2**31),
        "ChatCompletionCreateParams.metadata": st.dictionaries(st.text("abcdef", min_size=1, max_size=4), words,
                                                               max_size=2),
        "ChatCompletionCreateParams.chat_template_kwargs": json_objects,
    },
    members={
        "ChatCompletionUserMessageParam.content": frozenset({"ChatCompletionContentPartTextParam",
                                                            "ChatCompletionContentPartImageParam", "File"}),
    },
    skip=frozenset({
        "ChatCompletionCreateParams.n",  # several choices per answer: no other format has them
        "ChatCompletionCreateParams.function_call",  # deprecated `functions` API, superseded by tools
        "ChatCompletionCreateParams.modalities",  # audio output needs the `audio` parameter, not in focus
        "ChatCompletionCreateParams.top_logprobs",  # only valid together with logprobs: true
        "ChatCompletionCreateParams.logit_bias",  # token ids of one tokenizer
        "ChatCompletionAssistantMessageParam.function_call",  # deprecated, superseded by tool_calls
        "ChatCompletionAssistantMessageParam.reasoning_details",  # free-form provider objects
        "ChatCompletionMessage.function_call", "ChatCompletionMessage.reasoning_details",
    }),
    always=frozenset({"ChatCompletion.usage"}),
))


@st.composite
def chat_requests(draw: st.DrawFn) -> dict[str, Any]:
    body = draw(chat.model("ChatCompletionCreateParams").map(
        lambda b: {k: v for k, v in b.items() if k not in ("messages", "tools", "tool_choice")}))
    tools = _unique_by(draw(st.just([]) | chat.field("ChatCompletionCreateParams", "tools")),
                       lambda t: t[t["type"]]["name"])
    if tools:
        body["tools"] = tools
        choice = draw(st.none() | chat.field("ChatCompletionCreateParams", "tool_choice"))
        if isinstance(choice, dict):
            kind = choice["type"]
            named = [t[kind]["name"] for t in tools if t["type"] == kind]
            choice = {"type": kind, kind: {"name": draw(st.sampled_from(named))}} if named else "required"
        if choice is not None:
            body["tool_choice"] = choice
    body["messages"] = draw(_chat_conversation(tools))
    return _chat_params_it_accepts(body)


@st.composite
def _chat_conversation(draw: st.DrawFn, tools: list[dict]) -> list[dict]:
    """[system|developer], user, assistant, [tool ...], user, ...: every call answered right after it."""
    messages: list[dict] = []
    if draw(st.booleans()):
        messages.append(draw(st.one_of(chat.model("ChatCompletionSystemMessageParam"),
                                       chat.model("ChatCompletionDeveloperMessageParam"))))
    taken: set[str] = set()
    turns = draw(st.integers(1, 3))
    for turn in range(turns):
        messages.append(draw(chat.model("ChatCompletionUserMessageParam").map(_chat_file_sources)))
        if turn == turns - 1:
            break
        reply = draw(chat.model("ChatCompletionAssistantMessageParam"))
        calls = []
        for call in reply.pop("tool_calls", []):
            defined = [t[call["type"]]["name"] for t in tools if t["type"] == call["type"]]
            if not defined or call["id"] in taken:
                continue
            call[call["type"]]["name"] = draw(st.sampled_from(defined))
            taken.add(call["id"])
            calls.append(call)
        if calls:
            reply["tool_calls"] = calls
            if "content" not in reply or draw(st.booleans()):
                reply["content"] = None  # what most clients send next to tool calls
        elif not reply.get("content") and not reply.get("refusal"):
            reply["content"] = draw(words)
        elif "content" not in reply:
            reply["content"] = None  # required unless there are tool calls; null beside a refusal, as answers have it
        messages.append(_chat_refusal_spellings(draw, reply))
        for call in calls:
            answer = draw(chat.model("ChatCompletionToolMessageParam"))
            messages.append(answer | {"tool_call_id": call["id"]})
    return messages


def _chat_refusal_spellings(draw: st.DrawFn, message: dict) -> dict:
    """Beside a refusal, clients send the content as null, an empty string or an empty list; a turn without
    one may say `refusal: null` (what an answer echoed back as history holds)."""
    if isinstance(message.get("refusal"), str) and not message.get("tool_calls"):
        message["content"] = draw(st.sampled_from([message["content"], None, "", []]))
    elif "refusal" not in message and draw(st.integers(0, 3)) == 0:
        message["refusal"] = None
    return message


def _chat_file_sources(message: dict) -> dict:
    """A file part carries its data or a file id, one of them (a filename goes with the data)."""
    if isinstance(message["content"], list):
        for part in message["content"]:
            if part["type"] == "file":
                part["file"] = _one_source(part["file"], ("file_data", "file_id"), {"file_id": "file-abc123"})
                if "file_id" in part["file"]:
                    part["file"].pop("filename", None)
    return message


def _chat_params_it_accepts(body: dict[str, Any]) -> dict[str, Any]:
    """One token limit per request; stream options only with a stream; parallel_tool_calls only with tools."""
    if "max_tokens" in body and "max_completion_tokens" in body:
        del body["max_tokens"]
    if not body.get("stream"):
        body.pop("stream_options", None)
    if "tools" not in body:
        body.pop("parallel_tool_calls", None)
    return body


@st.composite
def chat_responses(draw: st.DrawFn) -> dict[str, Any]:
    completion = draw(chat.model("ChatCompletion"))
    # One choice: the only kind other formats can hold. `logprobs` is null unless asked for, and sent.
    choice = completion["choices"][0] | {"index": 0, "logprobs": None}
    message = choice["message"]
    if "reasoning" in message and "reasoning_content" in message:
        del message["reasoning"]  # a provider sends one of the two spellings
    calls = _unique_by(message.get("tool_calls") or [], lambda c: c["id"])
    function_names = {c["function"]["name"] for c in calls if c["type"] == "function"}
    # A tool is either a function or a custom tool: calls of one name are of one kind.
    calls = [c for c in calls if c["type"] == "function" or c["custom"]["name"] not in function_names]
    if calls:
        message["tool_calls"] = calls
    else:
        message.pop("tool_calls", None)
    if "content" not in message:
        message["content"] = None
    if isinstance(message.get("refusal"), str) and not message["content"] and draw(st.booleans()):
        message["content"] = ""  # some providers send an empty text beside a refusal rather than null
    finish = choice["finish_reason"]
    if finish == "function_call":
        finish = "stop"  # the deprecated functions API
    choice["finish_reason"] = "tool_calls" if calls else ("stop" if finish == "tool_calls" else finish)
    completion["choices"] = [choice]
    usage = completion.get("usage")
    if usage:
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        _parts_within(usage.get("prompt_tokens_details"), usage["prompt_tokens"])
        _parts_within(usage.get("completion_tokens_details"), usage["completion_tokens"])
    return completion


def _parts_within(details: dict | None, total: int) -> None:
    """Detail counters (cached, cache-write, reasoning, audio tokens ...) are parts of their total: together
    never more than it."""
    left = total
    for key, value in (details or {}).items():
        if isinstance(value, int):
            details[key] = min(value, left)
            left -= details[key]


# --- responses --------------------------------------------------------------------------------------------

RESPONSES_REQUEST_MODELS = {
    "ResponseCreateParams", "EasyInputMessageParam", "ResponseInputMessageParam", "ResponseOutputMessageParam",
    "ResponseInputTextParam", "ResponseInputImageParam", "ResponseInputFileParam", "ResponseOutputTextParam",
    "ResponseOutputRefusalParam", "ResponseFunctionToolCallParam", "FunctionCallOutputParam",
    "ResponseInputTextContentParam", "ResponseInputImageContentParam", "ResponseInputFileContentParam",
    "ResponseCustomToolCallParam", "ResponseCustomToolCallOutputParam", "ResponseReasoningItemParam",
    "ResponseReasoningItemSummaryParam", "ResponseReasoningItemContentParam", "FunctionToolParam",
    "CustomToolParam", "ResponseFormatTextParam", "CustomToolGrammarParam", "ToolChoiceFunctionParam",
    "ToolChoiceCustomParam", "ReasoningParam", "ResponseTextConfigParam", "ResponseFormatTextJSONSchemaConfigParam",
    "ResponseFormatJSONObjectParam",
}
RESPONSES_RESPONSE_MODELS = {
    "Response", "ResponseOutputMessage", "ResponseOutputText", "ResponseOutputRefusal", "ResponseFunctionToolCall",
    "ResponseReasoningItem", "ResponseReasoningItemSummary", "ResponseReasoningItemContent",
    "ResponseCustomToolCall", "ResponseUsage", "InputTokensDetails", "OutputTokensDetails", "IncompleteDetails",
    "FunctionTool", "CustomTool", "ToolChoiceFunction", "ToolChoiceCustom", "Reasoning", "ResponseTextConfig",
    "ResponseFormatText", "ResponseFormatJSONObject", "ResponseFormatTextJSONSchemaConfig",
}

responses = Walker(Focus(
    module=responses_models,
    models=frozenset(RESPONSES_REQUEST_MODELS | RESPONSES_RESPONSE_MODELS),
    values={
        "ResponseCreateParams.max_output_tokens": st.integers(16, 64_000),
        "ResponseCreateParams.temperature": st.floats(0, 2),
        "ResponseCreateParams.include": st.just(["reasoning.encrypted_content"]),
        "ResponseCreateParams.metadata": st.dictionaries(st.text("abcdef", min_size=1, max_size=4), words,
                                                         max_size=2),
        "ResponseCreateParams.previous_response_id": _prefixed("resp_"),
        "ResponseFunctionToolCallParam.id": _prefixed("fc_"), "ResponseFunctionToolCall.id": _prefixed("fc_"),
        "ResponseCustomToolCallParam.id": _prefixed("ctc_"), "ResponseCustomToolCall.id": _prefixed("ctc_"),
        "ResponseFunctionToolCallParam.call_id": _prefixed("call_"),
        "ResponseFunctionToolCall.call_id": _prefixed("call_"),
        "ResponseCustomToolCallParam.call_id": _prefixed("call_"),
        "ResponseCustomToolCall.call_id": _prefixed("call_"),
        "ResponseFunctionToolCallParam.arguments": arguments_json,
        "ResponseFunctionToolCall.arguments": arguments_json,
        "FunctionCallOutputParam.id": _prefixed("fco_"), "ResponseCustomToolCallOutputParam.id": _prefixed("ctco_"),
        "FunctionToolParam.name": tool_names, "CustomToolParam.name": tool_names,
        "FunctionTool.name": tool_names, "CustomTool.name": tool_names,
        "ResponseFunctionToolCall.name": tool_names, "ResponseCustomToolCall.name": tool_names,
        "FunctionToolParam.parameters": schemas, "FunctionTool.parameters": schemas,
        "ResponseFormatTextJSONSchemaConfigParam.schema_": schemas,
        "ResponseFormatTextJSONSchemaConfigParam.name": tool_names,
        "ResponseFormatTextJSONSchemaConfig.schema_": schemas, "ResponseFormatTextJSONSchemaConfig.name": tool_names,
        "ResponseReasoningItemParam.id": _prefixed("rs_"), "ResponseReasoningItem.id": _prefixed("rs_"),
        "ResponseReasoningItemParam.encrypted_content": ids, "ResponseReasoningItem.encrypted_content": ids,
        # An empty summary is what reasoning items carry when no summary was asked for.
        "ResponseReasoningItemParam.summary": st.lists(st.fixed_dictionaries(
            {"type": st.just("summary_text"), "text": words}), max_size=2),
        "ResponseReasoningItem.summary": st.lists(st.fixed_dictionaries(
            {"type": st.just("summary_text"), "text": words}), max_size=2),
        "ResponseOutputMessageParam.id": _prefixed("msg_"), "ResponseOutputMessage.id": _prefixed("msg_"),
        "ResponseOutputTextParam.annotations": st.just([]), "ResponseOutputText.annotations": st.just([]),
        "ResponseOutputText.logprobs": st.just([]),
        "ResponseInputImageParam.image_url": image_urls | base64_data.map(lambda d: "data:image/png;base64," + d),
        "ResponseInputImageParam.file_id": _prefixed("file-"),
        "ResponseInputFileParam.file_data": base64_data.map(lambda d: "data:application/pdf;base64," + d),
        "ResponseInputFileParam.file_id": _prefixed("file-"), "ResponseInputFileParam.file_url": pdf_urls,
        "ResponseInputFileContentParam.file_data": base64_data.map(lambda d: "data:application/pdf;base64," + d),
        "ResponseInputFileContentParam.file_id": _prefixed("file-"),
        "ResponseInputFileContentParam.file_url": pdf_urls,
        "ResponseInputImageContentParam.image_url": image_urls,
        "ResponseInputImageContentParam.file_id": _prefixed("file-"),
        "Response.id": _prefixed("resp_"), "Response.created_at": st.integers(1_700_000_000, 1_800_000_000),
    },
    members={},
    skip=frozenset({
        "ResponseCreateParams.background",  # needs store and polling, a different protocol
        "ResponseCreateParams.conversation",  # server-side conversation state
        "ResponseCreateParams.stream_options",  # only with stream (set below when it is)
        "ResponseFunctionToolCallParam.async_", "ResponseCustomToolCallParam.async_",  # programmatic calling
        "ResponseFunctionToolCallParam.namespace", "ResponseCustomToolCallParam.namespace",  # namespace tools
        "FunctionCallOutputParam.name", "FunctionCallOutputParam.namespace",
        "FunctionToolParam.async_", "CustomToolParam.async_", "FunctionToolParam.allowed_callers",
        "CustomToolParam.allowed_callers", "FunctionToolParam.output_schema",
        "ResponseFunctionToolCall.async_", "ResponseCustomToolCall.async_",
        "ResponseFunctionToolCall.namespace", "ResponseCustomToolCall.namespace",
        "FunctionTool.async_", "CustomTool.async_", "FunctionTool.allowed_callers", "CustomTool.allowed_callers",
        "FunctionTool.output_schema", "ResponseOutputTextParam.logprobs",
        "ReasoningParam.mode", "Reasoning.mode",  # a provider's own string; no fixed values to draw from
        "Response.instructions",  # an echo of the request; its item list form is out of focus
    }),
    always=frozenset({"Response.usage", "ResponseFunctionToolCall.id", "ResponseFunctionToolCall.status",
                      "ResponseCustomToolCall.id", "ResponseReasoningItem.status", "ResponseOutputText.logprobs",
                      "InputTokensDetails.cache_write_tokens"}),  # required by the SDK's Response type
))


def _one_source(part: dict, keys: tuple[str, ...], default: dict) -> dict:
    """Exactly one of ``keys``: the first one present, or ``default`` when none is."""
    present = [key for key in keys if key in part]
    if not present:
        return part | default
    return {k: v for k, v in part.items() if k not in present[1:]}


def _with_image_source(part: dict) -> dict:
    """An input image comes from a URL or a file id; a file from data, an id or a URL: one of them."""
    if part.get("type") == "input_image":
        return _one_source(part, ("image_url", "file_id"), {"image_url": "https://example.com/cat.png"})
    if part.get("type") == "input_file":
        return _one_source(part, ("file_data", "file_id", "file_url"), {"file_url": "https://example.com/paper.pdf"})
    return part


def _message_with_sources(item: dict) -> dict:
    """Input messages with sources for their images and files; `phase` belongs to assistant messages only."""
    if item.get("role") != "assistant":
        item.pop("phase", None)
    if isinstance(item.get("content"), list):
        item["content"] = [_with_image_source(part) for part in item["content"]]
    return item


@st.composite
def responses_requests(draw: st.DrawFn) -> dict[str, Any]:
    body = draw(responses.model("ResponseCreateParams").map(
        lambda b: {k: v for k, v in b.items() if k not in ("input", "tools", "tool_choice")}))
    tools = _unique_by(draw(st.just([]) | responses.field("ResponseCreateParams", "tools")), lambda t: t["name"])
    if tools:
        body["tools"] = tools
        choice = draw(st.none() | responses.field("ResponseCreateParams", "tool_choice"))
        if isinstance(choice, dict):
            named = [t["name"] for t in tools if t["type"] == choice["type"]]
            choice = {"type": choice["type"], "name": draw(st.sampled_from(named))} if named else "required"
        if choice is not None:
            body["tool_choice"] = choice
    elif "parallel_tool_calls" in body:
        del body["parallel_tool_calls"]
    if draw(st.integers(0, 4)) == 0:
        body["input"] = draw(words)
    else:
        body["input"] = draw(_responses_items(tools))
    if body.get("stream") and draw(st.booleans()):
        body["stream_options"] = {"include_obfuscation": draw(st.booleans())}
    return body


@st.composite
def _responses_items(draw: st.DrawFn, tools: list[dict]) -> list[dict]:
    """user message, [reasoning], assistant message and/or calls, their outputs, user message, ..."""
    user = st.one_of(responses.model("EasyInputMessageParam").filter(lambda m: m["role"] != "assistant"),
                     responses.model("ResponseInputMessageParam")).map(_message_with_sources)
    items: list[dict] = []
    if draw(st.booleans()):
        items.append(draw(st.one_of(responses.model("EasyInputMessageParam"),
                                    responses.model("ResponseInputMessageParam")).filter(
            lambda m: m["role"] in ("system", "developer")).map(_message_with_sources)))
    taken: set[str] = set()
    turns = draw(st.integers(1, 3))
    for turn in range(turns):
        items.append(draw(user))
        if turn == turns - 1:
            break
        if draw(st.booleans()):
            items.append(draw(responses.model("ResponseReasoningItemParam")))
        if draw(st.booleans()):
            items.append(draw(st.one_of(
                responses.model("ResponseOutputMessageParam"),
                responses.model("EasyInputMessageParam").map(lambda m: m | {"role": "assistant"}).map(
                    _assistant_easy_message))))
        calls = []
        for _ in range(draw(st.integers(0, 2))):
            kind = draw(st.sampled_from(["function", "custom"]))
            defined = [t["name"] for t in tools if t["type"] == kind]
            if not defined:
                continue
            model = "ResponseFunctionToolCallParam" if kind == "function" else "ResponseCustomToolCallParam"
            call = draw(responses.model(model))
            if call["call_id"] in taken:
                continue
            call["name"] = draw(st.sampled_from(defined))
            taken.add(call["call_id"])
            calls.append(call)
        items.extend(calls)
        for call in calls:
            model = "FunctionCallOutputParam" if call["type"] == "function_call" else "ResponseCustomToolCallOutputParam"
            output = draw(responses.model(model)) | {"call_id": call["call_id"]}
            if isinstance(output["output"], list):
                output["output"] = [_with_image_source(part) for part in output["output"]]
            items.append(output)
    return items


def _assistant_easy_message(message: dict) -> dict:
    """An assistant turn given back as an easy message holds its text as a string (the SDK's easy message
    takes only input parts in a list; output_text parts belong to output messages with an id and status)."""
    if isinstance(message["content"], list):
        texts = [part["text"] for part in message["content"] if part["type"] == "input_text"]
        message["content"] = "".join(texts) or "ok"
    return message


@st.composite
def responses_responses(draw: st.DrawFn) -> dict[str, Any]:
    response = draw(responses.model("Response"))
    outputs = _unique_by(response["output"], lambda item: item.get("call_id") or item.get("id"))
    function_names = {item["name"] for item in outputs if item["type"] == "function_call"}
    # A tool is either a function or a custom tool: calls of one name are of one kind.
    outputs = [item for item in outputs if item["type"] != "custom_tool_call" or item["name"] not in function_names]
    response["output"] = _reasoning_text_calls(outputs, {"reasoning"}, {"function_call", "custom_tool_call"})
    status = response.get("status") or "completed"
    if status not in ("completed", "incomplete"):
        status = "completed"  # an answer being translated is a finished one
    response["status"] = status
    if status == "incomplete":
        response["incomplete_details"] = response.get("incomplete_details") or {"reason": "max_output_tokens"}
    else:
        response["incomplete_details"] = None
    response["error"] = None  # sent as null by the API when nothing failed
    usage = response.get("usage")
    if usage:
        usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]
        _parts_within(usage["input_tokens_details"], usage["input_tokens"])
        _parts_within(usage["output_tokens_details"], usage["output_tokens"])
    choice = response["tool_choice"]
    if isinstance(choice, dict):  # the echo of a named choice names a tool of the echoed list
        named = [t["name"] for t in response["tools"] if t["type"] == choice["type"]]
        response["tool_choice"] = choice | {"name": draw(st.sampled_from(named))} if named else "auto"
    return response


REQUESTS = {"anthropic": anthropic_requests(), "chat": chat_requests(), "responses": responses_requests()}
RESPONSES = {"anthropic": anthropic_responses(), "chat": chat_responses(), "responses": responses_responses()}
