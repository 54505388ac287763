"""Scripted upstream servers: real HTTP servers on 127.0.0.1 that play a provider of each wire format.

See README.md in this folder for the API.
"""

from .recorded import RecordedRequest, ToolResult
from .script import (
    Answer,
    CustomToolCall,
    ErrorReply,
    Fault,
    Reply,
    Responder,
    Text,
    Thinking,
    ToolCall,
    Usage,
    fresh_id,
    tool_loop,
)
from .server import FORMATS, ScriptedUpstream, refused_url

__all__ = [
    "FORMATS", "Answer", "CustomToolCall", "ErrorReply", "Fault", "RecordedRequest", "Reply", "Responder", "ScriptedUpstream",
    "Text", "Thinking", "ToolCall", "ToolResult", "Usage", "fresh_id", "refused_url", "tool_loop",
]
