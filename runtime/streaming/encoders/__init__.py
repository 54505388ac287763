"""One stream encoder per format: hub stream events -> its SSE bytes."""

from .anthropic import AnthropicEncoder
from .base import StreamEncoder
from .chat import ChatEncoder
from .responses import ResponsesEncoder

ENCODERS: dict[str, type[StreamEncoder]] = {
    "anthropic": AnthropicEncoder,
    "chat": ChatEncoder,
    "responses": ResponsesEncoder,
}

__all__ = ["ENCODERS", "StreamEncoder", "AnthropicEncoder", "ChatEncoder", "ResponsesEncoder"]
