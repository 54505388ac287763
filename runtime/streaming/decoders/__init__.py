"""One stream decoder per format: its SSE events -> hub stream events."""

from .anthropic import AnthropicDecoder
from .base import StreamDecoder
from .chat import ChatDecoder
from .responses import ResponsesDecoder

DECODERS: dict[str, type[StreamDecoder]] = {
    "anthropic": AnthropicDecoder,
    "chat": ChatDecoder,
    "responses": ResponsesDecoder,
}

__all__ = ["DECODERS", "StreamDecoder", "AnthropicDecoder", "ChatDecoder", "ResponsesDecoder"]
