"""OpenAI Chat Completions stream -> hub stream events.

Chat deltas are not sequential: one chunk may carry reasoning, text and several tool calls at once. They
are split in the order reasoning, text, refusal, tool calls, and a part closes when another one starts,
which is how every chat provider we know of streams (parallel tool calls one after the other).
"""

from __future__ import annotations

from typing import Any

import orjson
from apiswitch.runtime.ids import random_id
from apiswitch.runtime.spokes.chat import provider_state
from apiswitch.runtime.spokes.chat.content import EMPTY_SAYS_NOTHING, says_something
from apiswitch.runtime.sse import DONE

from ..events import (
    ArgumentsDelta,
    CitationAdded,
    PartStarted,
    PartStopped,
    ReasoningDelta,
    ResponseFinished,
    ResponseStarted,
    StreamEvent,
    TextDelta,
)
from ..mapping import stop_from_chat, usage_from_chat
from .base import StreamDecoder, json_object, optional_text, text
from .slot import StringSlot

# Chunk fields a chat client gets back unchanged when the upstream is chat too.
SAME_FORMAT_KEYS = ("system_fingerprint", "service_tier")
# What the decoder reads; any other key with a value is reported as the non-streaming translation reports it.
DELTA_KEYS = frozenset({"role", "content", "annotations", "tool_calls", provider_state.DETAILS, *EMPTY_SAYS_NOTHING})
CHOICE_KEYS = frozenset({"index", "delta", "finish_reason"})
_CHOICE_KEYS_LOGPROBS = CHOICE_KEYS | {"logprobs"}
# A delta with no other key carries text at most, or tool calls at most.
_TEXT_ONLY = frozenset({"role", "content"})
_TOOLS_ONLY = frozenset({"role", "tool_calls"})


class ChatDecoder(StreamDecoder):
    source = "chat"
    # How many slots a stream may learn (see _slots_left). 0 turns the shortcut off, so that every chunk is
    # parsed whole: tests/streaming/test_slot_shortcut.py holds the decoder to what it gives that way.
    slot_learnings = 2

    def __init__(self, context, losses, target) -> None:
        super().__init__(context, losses, target)
        self._started = False
        self._next = 0
        # The open hub part: its index and what feeds it ("reasoning", "text", "refusal" or a tool key).
        self._open_index: int | None = None
        self._open_key: Any = None
        # Chat tool-call index -> hub part index, for every call seen so far.
        self._tools: dict[int, int] = {}
        self._tool_ids: dict[int, str] = {}
        # Calls in the order they appeared, and argument fragments of calls still waiting for their name.
        self._order: list[int] = []
        self._unnamed: dict[int, list[str]] = {}
        self._reasoning: list[str] = []
        self._reasoning_key = "reasoning_content"  # or "reasoning": the field the provider streams it in
        # Provider state (provider_state.py), one part of its own at the end: OpenRouter's reasoning_details,
        # merged as they stream, and the extra fields of tool calls by chat index (Gemini's thought signature).
        self._details: list[dict[str, Any]] = []
        self._call_extras: dict[int, dict[str, Any]] = {}
        self._finish_reason: str | None = None
        self._usage = None
        # Fields (EMPTY_SAYS_NOTHING) seen as an empty string and seen with text: one only ever empty is
        # what the accumulated body holds as "", which its translation reports when left out.
        self._empty: set[str] = set()
        self._spoken: set[str] = set()
        # Paths of fields this stream carried and no hub event holds (dict: reported once, in arrival order).
        self._unread: dict[str, None] = {}
        # The shape of the last delta chunk (see slot.py), which of the plain shapes it has (see _read_slot),
        # and how many more times a slot may be learnt: a stream whose chunks differ in more than their delta
        # stops trying.
        self._slot: StringSlot | None = None
        self._slot_shape: str | None = None
        self._slots_left = self.slot_learnings

    def read(self, data: str, name: str | None) -> list[StreamEvent]:
        if self.closed:
            return []
        if data == DONE:
            if self._finish_reason is None:
                return self.fail(
                    "upstream_incomplete", "the chat upstream sent [DONE] without a finish_reason"
                )
            return self._finished()
        slot = self._slot
        if slot is not None:
            value = slot.read(data)
            if value is not None:
                if value and self._slot_shape == "content":
                    # Nearly every chunk of an answer: answered here, without a call to _read_slot, nor to
                    # _ensure while the text part is open.
                    out: list[StreamEvent] = []
                    index = self._open_index if self._open_key == "text" else self._ensure("text", out)
                    out.append(TextDelta(index, value))
                    return out
                return self._read_slot(slot, value)
            self._slot = None
        try:
            chunk = orjson.loads(data)
        except orjson.JSONDecodeError:
            return self.malformed("not JSON")
        if not isinstance(chunk, dict):
            return self.malformed("not a JSON object")
        out = self._chunk(chunk)
        if self._slot is None and self._slots_left and not self.closed:
            self._learn_slot(data, chunk)
        return out

    def _read_slot(self, slot: StringSlot, value: str) -> list[StreamEvent]:
        """A chunk like the learnt one but for its delta string ``value`` (text ones with a value are answered
        in read() itself). The learnt chunk has passed every check of _chunk and left its marks (unread
        fields, fields spoken); a plain shape with a non-empty value would take the same way again, so only
        its last steps are taken here."""
        shape = self._slot_shape
        if shape is None or not value:
            return self._chunk(slot.parsed)
        out: list[StreamEvent] = []
        if shape == "arguments":
            self._tool_call(slot.parsed["choices"][0]["delta"]["tool_calls"][0], 0, out)
        else:  # reasoning_content or reasoning, as _delta reads them
            index = self._ensure("reasoning", out, shape)
            self._reasoning.append(value)
            out.append(ReasoningDelta(index, value))
        return out

    def _learn_slot(self, data: str, chunk: dict[str, Any]) -> None:
        """A slot for the delta string of a plain one-choice chunk: text, reasoning or tool-call arguments."""
        choices = chunk.get("choices")
        if chunk.get("error") or chunk.get("usage") or type(choices) is not list or len(choices) != 1:
            return
        choice = choices[0]
        if type(choice) is not dict or choice.get("index", 0) != 0 or choice.get("finish_reason") is not None:
            return
        delta = choice.get("delta")
        if type(delta) is not dict or "annotations" in delta:
            return
        keys = delta.keys()
        if keys <= _TEXT_ONLY:
            key = shape = "content"
        elif delta.get("reasoning_content") or delta.get("reasoning"):
            key = "reasoning_content" if delta.get("reasoning_content") else "reasoning"
            # DeepSeek sends `"content": null` beside the reasoning.
            plain = keys <= {"role", "content", key} and delta.get("content") is None
            shape = key if plain else None
        else:
            key, shape = "tool_calls", "arguments" if keys <= _TOOLS_ONLY else None
        value = delta.get(key)
        path: tuple[Any, ...] = ("choices", 0, "delta", key)
        if key == "tool_calls":
            if type(value) is not list or len(value) != 1 or type(value[0]) is not dict:
                return
            function = value[0].get("function")
            value = function.get("arguments") if type(function) is dict else None
            path += (0, "function", "arguments")
        if type(value) is not str or not value:
            return
        self._slots_left -= 1
        self._slot = StringSlot.learn(data, chunk, path)
        self._slot_shape = shape

    def _chunk(self, chunk: dict[str, Any]) -> list[StreamEvent]:
        """The hub events of one parsed chunk."""
        if chunk.get("error"):
            error = chunk["error"] if isinstance(chunk["error"], dict) else {"message": str(chunk["error"])}
            return self.fail(
                str(error.get("code") or error.get("type") or "upstream_error"),
                error.get("message") or "upstream error",
            )
        out: list[StreamEvent] = []
        usage = chunk.get("usage")
        if usage:
            if not isinstance(usage, dict):
                return self.malformed("usage is not an object")
            self._usage = usage_from_chat(usage)
        if not self._started:
            self._started = True
            extra = {key: chunk[key] for key in SAME_FORMAT_KEYS if chunk.get(key) is not None}
            out.append(
                ResponseStarted(
                    optional_text(chunk.get("id")),
                    optional_text(chunk.get("model")),
                    chunk.get("created"),
                    # Usage in the first chunk (vLLM's continuous usage stats, some gateways) is known at the
                    # start: the counts a client reads from message_start are then real, not an estimate.
                    self._usage,
                    extra,
                )
            )
        try:
            for choice in chunk.get("choices") or ():
                if choice.get("index", 0) != 0:
                    self.losses.dropped(
                        f"choices[{choice.get('index')}]", "only the first choice is translated"
                    )
                    continue
                # Most providers send `"logprobs": null` in every chunk: nothing to report, no need to look.
                if not (_CHOICE_KEYS_LOGPROBS.issuperset(choice) and choice.get("logprobs") is None):
                    for key, value in choice.items():
                        if key not in CHOICE_KEYS and says_something(value):
                            self._unread[f"choices[0].{key}"] = None
                delta = choice.get("delta")
                if delta:
                    if delta.keys() <= _TEXT_ONLY:
                        # Nearly every chunk of an answer: text at most, read here without a call to _delta
                        # and without asking the delta for the seven other fields it does not have.
                        content = delta.get("content")
                        if content:
                            out.append(TextDelta(self._ensure("text", out), text(content)))
                    else:
                        self._delta(delta, out)
                reason = choice.get("finish_reason")
                if reason is not None and text(reason):
                    self._finish_reason = reason
                    self._close(out)
        except (KeyError, TypeError, AttributeError) as exc:
            return self.malformed(f"bad delta ({exc})")
        return out

    def finish(self) -> list[StreamEvent]:
        # Some providers close the connection after the finish_reason without a [DONE]; the answer is whole.
        if not self.closed and self._finish_reason is not None:
            return self._finished()
        return super().finish()

    def _finished(self) -> list[StreamEvent]:
        if self._unnamed:
            return self.malformed("a tool call never got a name")
        self.closed = True
        out: list[StreamEvent] = []
        self._close(out)
        if self._details or self._call_extras:
            extras = {self._tool_ids.get(number, ""): fields for number, fields in self._call_extras.items()}
            part = provider_state.state_part(self._details, extras, "choices[0].message")
            index = self._open_part("state", out, {k: v for k, v in part.items() if k not in ("raw", "origin")})
            out.append(PartStopped(index, part["raw"], "chat"))
            self._open_index = self._open_key = None
        self._report_empty_fields()
        for path in self._unread:
            # Chat clients lose them too: the stream is written afresh from hub events.
            self.losses.dropped(path, f"no equivalent in {self.target}" if self.target != self.source
                                else "a translated chat stream carries only the fields it reads")
        stop = stop_from_chat(self._finish_reason)
        out.append(ResponseFinished(stop, None, self._usage))
        return out

    def _delta(self, delta: dict[str, Any], out: list[StreamEvent]) -> None:
        """A delta with more than text: event() reads text-only ones itself."""
        if delta.keys() <= _TOOLS_ONLY:
            # A tool call chunk: the branches below for the fields it lacks would read nothing.
            tool_calls = delta.get("tool_calls")
            if tool_calls:
                for position, call in enumerate(tool_calls):
                    self._tool_call(call, position, out)
            return
        # DeepSeek, Qwen, vLLM: `reasoning_content`; OpenRouter, Ollama: `reasoning`.
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if reasoning and isinstance(reasoning, str):
            index = self._ensure(
                "reasoning", out, "reasoning_content" if delta.get("reasoning_content") else "reasoning"
            )
            self._reasoning.append(reasoning)
            out.append(ReasoningDelta(index, reasoning))
        content = delta.get("content")
        if content:
            index = self._ensure("text", out)
            out.append(TextDelta(index, text(content)))
        refusal = delta.get("refusal")
        if refusal:
            index = self._ensure("refusal", out)
            out.append(TextDelta(index, text(refusal)))
        annotations = delta.get("annotations")
        if annotations:
            # Before any tool call of the same delta closes the text they cite.
            self._annotations(annotations, out)
        tool_calls = delta.get("tool_calls")
        if tool_calls:
            for position, call in enumerate(tool_calls):
                self._tool_call(call, position, out)
        for key in EMPTY_SAYS_NOTHING:
            value = delta.get(key)
            if type(value) is str:
                (self._spoken if value else self._empty).add(key)
        pieces = delta.get(provider_state.DETAILS)
        if pieces and not provider_state.merge_delta(self._details, pieces):
            self._unread[f"choices[0].message.{provider_state.DETAILS}"] = None
        if not delta.keys() <= DELTA_KEYS:
            for key, value in delta.items():
                if key not in DELTA_KEYS and says_something(value):
                    self._unread[f"choices[0].message.{key}"] = None

    def _report_empty_fields(self) -> None:
        """A field streamed only as empty strings is one the accumulated body holds as "": it opens no part
        here, and is reported for other formats as the body translation reports it."""
        if self.target == self.source:
            return
        for key in EMPTY_SAYS_NOTHING:
            if key in self._empty and key not in self._spoken:
                self.losses.dropped(f"choices[0].message.{key}", f"no equivalent in {self.target}")

    def _annotations(self, annotations: list[Any], out: list[StreamEvent]) -> None:
        """Chat annotations cite the message text; providers send them beside or after the text deltas."""
        if self._open_key != "text":
            self.losses.dropped(
                "choices[0].message.annotations", "annotations arrived while no text was being streamed"
            )
            return
        for annotation in annotations:
            citation = json_object(annotation)
            out.append(
                CitationAdded(
                    self._open_index,  # type: ignore[arg-type]
                    json_object(citation.get("url_citation", citation)),
                    "url",
                    "choices[0].message.content.citations",
                )
            )

    def _ensure(self, key: str, out: list[StreamEvent], field: str | None = None) -> int:
        if self._open_key == key:
            return self._open_index  # type: ignore[return-value]
        self._close(out)
        part: dict[str, Any] = (
            {"type": key, "text": ""}
            if key != "reasoning"
            else {"type": "reasoning", "text": "", "summary": []}
        )
        part["path"] = f"choices[0].message.{field or key}"
        if key == "reasoning" and field:
            self._reasoning_key = part["key"] = field
        return self._open_part(key, out, part)

    def _open_part(self, key: Any, out: list[StreamEvent], part: dict[str, Any]) -> int:
        index = self._next
        self._next += 1
        self._open_index, self._open_key = index, key
        out.append(PartStarted(index, part))
        return index

    def _close(self, out: list[StreamEvent]) -> None:
        if self._open_index is not None:
            if self._open_key == "reasoning":
                # The block other formats carry opaquely, as the non-streaming translation writes it.
                raw = {self._reasoning_key: "".join(self._reasoning)}
                self._reasoning = []
                out.append(PartStopped(self._open_index, raw, "chat"))
            else:
                out.append(PartStopped(self._open_index))
            self._open_index = self._open_key = None

    def _tool_call(self, call: dict[str, Any], position: int, out: list[StreamEvent]) -> None:
        number = call.get("index")
        if number is None:
            # Some providers omit the index: a call with a new id is a new call, else it continues the last.
            last = self._order[-1] if self._order else None
            if call.get("id") and call["id"] != self._tool_ids.get(last):
                number = len(self._order)
            else:
                number = last if last is not None else position
        extras = provider_state.call_extras(call)
        if extras:
            self._call_extras.setdefault(number, {}).update(extras)
        function = call.get("function") or {}
        arguments = function.get("arguments")
        arguments = "" if arguments is None else text(arguments)
        if number in self._tools:
            if self._open_key != ("tool", number):
                # An upstream that interleaves calls: the earlier call was already closed for the client.
                self.losses.dropped(
                    f"choices[0].delta.tool_calls[{number}].function.arguments",
                    "arguments arrived for a tool call after another call had started",
                )
            elif arguments:
                # Upstreams that repeat the id and name in every chunk are fine: only arguments count here.
                out.append(ArgumentsDelta(self._tools[number], arguments))
            return
        if number not in self._tool_ids:
            self._order.append(number)
            self._tool_ids[number] = ""
            self._unnamed[number] = []
        self._tool_ids[number] = self._tool_ids[number] or optional_text(call.get("id")) or ""
        if arguments:
            self._unnamed[number].append(arguments)
        if not function.get("name"):
            # A client cannot take a call without a name: wait for the chunk that brings it.
            return
        fragments = self._unnamed.pop(number)
        if not self._tool_ids[number]:
            self._tool_ids[number] = random_id("call_")
            self.losses.synthesized(
                f"choices[0].delta.tool_calls[{number}].id", "the upstream sent no call id"
            )
        self._close(out)
        part = {
            "type": "tool_call",
            "id": self._tool_ids[number],
            "name": text(function["name"]),
            "kind": "function",
            "path": f"choices[0].message.tool_calls[{number}]",
        }
        if number in self._call_extras:
            # Known when the call opens (Gemini sends them with its header): a chat client gets them there.
            part[provider_state.CALL_EXTRAS] = dict(self._call_extras[number])
        self._tools[number] = index = self._open_part(("tool", number), out, part)
        if fragments:
            out.append(ArgumentsDelta(index, "".join(fragments)))
