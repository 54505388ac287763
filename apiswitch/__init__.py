"""apiswitch: translate between the anthropic, chat and responses wire formats.

The public entry points are re-exported here; the implementation lives in
``apiswitch.runtime`` (hand-written) and ``apiswitch.generated`` (from specs/).
"""

from __future__ import annotations

from apiswitch.runtime.losses import Loss
from apiswitch.runtime.streaming import StreamTranslator
from apiswitch.runtime.streaming.fold import StreamFailed, stream_as_response
from apiswitch.runtime.streaming.replay import response_as_stream
from apiswitch.runtime.translate import Translation, translate_request, translate_response

__version__ = "0.1.0"

FORMATS = ("anthropic", "chat", "responses")

__all__ = ["FORMATS", "Loss", "StreamFailed", "StreamTranslator", "Translation", "__version__", "response_as_stream",
           "stream_as_response", "translate_request", "translate_response"]
