"""What the response and stream direction need to know about the request.

A ``TranslationContext`` is produced by ``translate_request`` and handed to
``translate_response`` / the stream translators.  It is plain data so the
proxy can log it (``to_dict``) and rebuild it (``from_dict``); it is never a
global, because one proxy serves many conversations at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass(slots=True)
class TranslationContext:
    # The client's format and the upstream's format of the request translation.
    source: str = ""
    target: str = ""
    # The model name the client asked for; responses report it back unchanged.
    client_model: str | None = None
    # Names as sent upstream -> names as the client knows them (shortened or flattened names only).
    tool_names: dict[str, str] = field(default_factory=dict)
    # Client names of Responses `custom` (freeform) tools that were bridged to function tools with a
    # single string argument `input`; calls to them are turned back into `custom_tool_call` items.
    custom_tools: list[str] = field(default_factory=list)
    # Flattened upstream tool name -> [namespace, name] for Responses `namespace` tools.
    namespaced_tools: dict[str, list[str]] = field(default_factory=dict)
    # Tool-call ids as sent upstream -> ids as the client sent them (only ids that had to change).
    tool_ids: dict[str, str] = field(default_factory=dict)
    stream: bool = False
    # Chat clients only get a usage chunk when they asked for one (`stream_options.include_usage`).
    client_wants_stream_usage: bool = False
    # A rough count of prompt tokens, for streams whose upstream reports usage late or never.
    input_token_estimate: int = 0
    # How opaque reasoning state is wrapped for the client ("apiswitch.v1." envelopes), see reasoning.py.
    reasoning_envelope: str = "apiswitch.v1."
    # Whether the client asked to see reasoning (thinking enabled / a reasoning effort was given).
    reasoning_requested: bool = False
    # Free-form extras other parts of the runtime may need; kept JSON-serialisable.
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TranslationContext:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def client_tool_name(self, upstream_name: str) -> str:
        """The name the client knows for a tool the upstream called."""
        return self.tool_names.get(upstream_name, upstream_name)

    def client_tool_id(self, upstream_id: str) -> str:
        return self.tool_ids.get(upstream_id, upstream_id)
