"""Renderers from a format-neutral `Reply` to each wire format: one module per format.

Each module exposes `ENDPOINT`, `body(reply, request)`, `events(reply, request)` (complete SSE frames, in
order), `error_body(status, message)` and `error_event(status, message)`.
"""

from types import ModuleType

from . import anthropic, chat, responses

WIRES: dict[str, ModuleType] = {"anthropic": anthropic, "chat": chat, "responses": responses}
