"""Enum and field correspondences between the formats, as the spokes use them.

The tables are those of specs/mappings.md, which codegen turns into ``apiswitch.generated.fieldmaps``: edit the
spec and run ``apiswitch gen`` to change a correspondence. What the tables cannot say is written here as small
overrides, each with its reason: the hub's own names for the concepts, and choices that depend on the
direction of a translation.
"""

from __future__ import annotations

from apiswitch.generated import fieldmaps as spec

Row = spec.Row


def _by_concept(table: tuple[Row, ...]) -> dict[str, Row]:
    return {str(row["concept"]): row for row in table}


# --- stop reasons -------------------------------------------------------------------------------------------

# The hub's name for each concept of the stop-reason table (hub.STOP_REASONS): anthropic's value where it has
# one of its own, a name of ours where anthropic folds two concepts into one value or has none.
HUB_STOP_REASONS = {
    "natural end": "end_turn",
    "output limit reached": "max_tokens",
    "stop sequence matched": "stop_sequence",
    "tool call": "tool_use",
    "paused long turn": "pause_turn",
    "refusal": "refusal",
    "content filtered": "content_filter",
    "context window full": "context_window_exceeded",
    "failed": "error",
}
_STOP_ROWS = _by_concept(spec.STOP_REASONS)


def _stop_to(fmt: str) -> dict[str, str]:
    """Hub stop reason -> the format's value. A concept the format has no value for reads as a natural end
    (the spokes report the coercion)."""
    natural = _STOP_ROWS["natural end"][fmt]
    return {HUB_STOP_REASONS[concept]: str(row[fmt] or natural) for concept, row in _STOP_ROWS.items()}


def _stop_from(fmt: str) -> dict[str, str]:
    """The format's value -> hub stop reason; the first row of a value wins, as specs/mappings.md says."""
    concepts = spec.lookup(spec.STOP_REASONS, fmt, "concept")
    return {value: HUB_STOP_REASONS[str(concept)] for value, concept in concepts.items()}


STOP_TO_ANTHROPIC = _stop_to("anthropic")
ANTHROPIC_TO_STOP = _stop_from("anthropic")
STOP_TO_CHAT = _stop_to("chat")
CHAT_TO_STOP = _stop_from("chat") | {
    # A chat `content_filter` is a filter's verdict more often than a model's refusal: it reads as content
    # filtered (incomplete for responses), not as the refusal row that comes first in the table.
    "content_filter": "content_filter",
    "function_call": "tool_use",  # the deprecated functions API, which the table leaves out
}

# Responses says how an answer ended with `status` (the table's column) and `incomplete_details.reason`,
# which the table gives only in prose: the reason of each incomplete stop is named here.
RESPONSES_INCOMPLETE_REASONS = {
    "max_tokens": "max_output_tokens",
    "content_filter": "content_filter",
    "context_window_exceeded": "max_output_tokens",  # responses has no reason of its own for a full window
}
STOP_TO_RESPONSES = {
    stop: (status, RESPONSES_INCOMPLETE_REASONS.get(stop) if status == "incomplete" else None)
    for stop, status in _stop_to("responses").items()
}
# An incomplete reason read back: the first stop giving it wins (the output limit, not the full window).
RESPONSES_INCOMPLETE_TO_STOP = {reason: stop for stop, reason in reversed(RESPONSES_INCOMPLETE_REASONS.items())}


# --- tool choice ----------------------------------------------------------------------------------------------

# Hub tool-choice modes are anthropic's `type` values. Only these concepts are a bare string in the OpenAI
# formats; a named tool and an allowed subset are objects the spokes build themselves.
_BARE_CHOICES = [row for concept, row in _by_concept(spec.TOOL_CHOICE).items()
                 if concept in ("model decides", "must call some tool", "no tool calls")]


def _choices(source: str, target: str) -> dict[str, str]:
    return {str(row[source]): str(row[target]) for row in _BARE_CHOICES}


TOOL_CHOICE_TO_CHAT = _choices("anthropic", "chat")
CHAT_TO_TOOL_CHOICE = _choices("chat", "anthropic")
TOOL_CHOICE_TO_RESPONSES = _choices("anthropic", "responses")
RESPONSES_TO_TOOL_CHOICE = _choices("responses", "anthropic")


# --- parameters -------------------------------------------------------------------------------------------

# Top-level request keys for the max-output-tokens limit.
MAX_TOKENS_KEYS = {fmt: str(_by_concept(spec.PARAMETER_NAMES)["output token limit"][fmt])
                   for fmt in ("anthropic", "chat", "responses")}
# Anthropic accepts temperatures 0..1, OpenAI 0..2 (the table says so only in prose).
TEMPERATURE_MAX = {"anthropic": 1.0, "chat": 2.0, "responses": 2.0}
