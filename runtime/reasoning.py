"""Reasoning state across formats: envelopes for opaque state, budget <-> effort.

Each format keeps its own opaque reasoning state: Anthropic a thinking
``signature`` (or ``redacted_thinking.data``), Responses an ``encrypted_content``
on a ``reasoning`` item, chat-style providers plain ``reasoning_content`` text.
A format can only verify its own state, so when reasoning from one format has
to travel through a client of another format we wrap the original block in an
envelope placed in that client's opaque field.  When the client sends it back,
the envelope is opened and the block restored byte for byte.  We never make up
a signature: an envelope is recognisable by its prefix and is only ever
unwrapped by us.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from .hub import Request
from .losses import LossCollector

ENVELOPE_PREFIX = "apiswitch.v1."

# Thinking budget (Anthropic `budget_tokens`) <-> reasoning effort (OpenAI).  Budgets below the first
# threshold are "low", and so on; an effort maps to the budget in the second column.
EFFORT_BUDGETS: dict[str, int] = {
    "minimal": 1024,
    "low": 2048,
    "medium": 8192,
    "high": 24576,
    "xhigh": 32768,
    "max": 63999,
}
# (upper bound exclusive, effort) pairs, checked in order.
BUDGET_THRESHOLDS: tuple[tuple[int, str], ...] = (
    (2048, "minimal"),
    (4096, "low"),
    (16384, "medium"),
    (32768, "high"),
    (63999, "xhigh"),
)
ANTHROPIC_MIN_BUDGET = 1024


def wrap(format_name: str, block: dict[str, Any]) -> str:
    """Put a format's original reasoning block into an opaque string for another format."""
    payload = orjson.dumps({"f": format_name, "b": block})
    return ENVELOPE_PREFIX + base64.urlsafe_b64encode(payload).decode().rstrip("=")


def unwrap(value: Any) -> tuple[str, dict[str, Any]] | None:
    """The (format, original block) inside an envelope, or None when ``value`` is not one of ours."""
    if not isinstance(value, str) or not value.startswith(ENVELOPE_PREFIX):
        return None
    encoded = value[len(ENVELOPE_PREFIX):]
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("b"), dict):
        return None
    return str(payload.get("f")), payload["b"]


def budget_to_effort(budget: int) -> str:
    for limit, effort in BUDGET_THRESHOLDS:
        if budget < limit:
            return effort
    return "max"


def effort_to_budget(effort: str) -> int | None:
    """None for efforts that mean "do not think" (``none``) or that we do not know."""
    return EFFORT_BUDGETS.get(effort)


def opaque_state_of(part: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The (format, native block) a hub reasoning part can be replayed as, looking through envelopes."""
    raw = part.get("raw")
    origin = part.get("origin")
    if not isinstance(raw, dict) or origin is None:
        return None
    for key in ("signature", "encrypted_content", "data"):
        opened = unwrap(raw.get(key))
        if opened is not None:
            return opened
    return origin, raw


def requested_effort(req: Request, target: str, losses: LossCollector) -> str | None:
    """The OpenAI reasoning effort a hub request asks for: its effort, Anthropic's `output_config.effort`,
    or the effort nearest its thinking budget (each approximation reported)."""
    settings = req.reasoning
    if settings is not None and settings.effort is not None:
        return settings.effort
    if settings is not None and settings.display is not None:
        losses.dropped(f"{settings.path}.display", f"{target} has no setting for how thinking is shown")
    if req.effort is not None and settings is not None and settings.mode == "disabled":
        # Sending the effort would turn on the thinking the client turned off: the worse of the two losses.
        losses.dropped("output_config.effort", f"thinking is off, and {target}'s reasoning effort would turn it on")
        losses.dropped(settings.path, f"{target} has no portable way to turn reasoning off")
        return None
    if req.effort is not None:
        losses.coerced("output_config.effort", f"{target}'s reasoning effort also decides whether the model thinks")
        if settings is not None and settings.budget_tokens is not None:
            losses.dropped(f"{settings.path}.budget_tokens", "the effort is given instead of the budget")
        return req.effort
    if settings is None or settings.mode is None:
        return None
    if settings.mode == "enabled" and settings.budget_tokens is not None:
        effort = budget_to_effort(settings.budget_tokens)
        if EFFORT_BUDGETS.get(effort) != settings.budget_tokens:
            losses.coerced(f"{settings.path}.budget_tokens", f"approximated by the effort {effort!r}")
        return effort
    if settings.mode == "disabled":
        losses.dropped(settings.path, f"{target} has no portable way to turn reasoning off")
    elif settings.mode != "enabled":
        losses.dropped(settings.path, f"{target} has no {settings.mode!r} thinking; provider default used")
    return None
