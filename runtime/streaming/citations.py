"""Citations of a streamed text part, written for an OpenAI client.

The same rule as the non-streaming writers (``runtime/spokes/chat/response.py`` and
``runtime/spokes/responses/content.py``), through the same ``url_citation`` builder: across formats only URL
citations survive, as ``url_citation`` annotations; a citation without indices covers its whole text part.
A citation spans text that streams after it, so annotations are built when the part stops and its length is
known. Responses indices count within one ``output_text`` part; chat's count within the message's content,
which joins all text parts.
"""

from __future__ import annotations

from typing import Any

from apiswitch.runtime.losses import LossCollector
from apiswitch.runtime.spokes._common import url_citation


def chat_annotations(
    citations: list[dict[str, Any]],
    format: str,
    text_length: int,
    offset: int,
    path: str,
    losses: LossCollector,
) -> list[dict[str, Any]]:
    """Chat message ``annotations`` for one text part's citations; the others are reported. Chat indices
    count from the start of the message's content, where this part starts at ``offset``; a chat
    upstream's own annotations (format ``url``) count from there already."""
    shift = 0 if format == "url" else offset
    out = []
    for citation in citations:
        fields = url_citation(citation, text_length)
        if fields is None:
            losses.dropped(path, "chat cites only URLs")
            continue
        fields["start_index"] += shift
        fields["end_index"] += shift
        out.append({"type": "url_citation", "url_citation": fields})
    return out


def responses_annotation(
    citation: dict[str, Any], format: str, text_length: int, path: str, losses: LossCollector
) -> dict[str, Any] | None:
    """An ``output_text`` annotation for one citation: a Responses annotation as it came, another format's
    URL citation as ``url_citation``; None (reported) for what Responses cannot cite."""
    if format == "responses":
        return citation
    fields = url_citation(citation, text_length)
    if fields is None:
        losses.dropped(path, "responses cites only URLs and files")
        return None
    return {"type": "url_citation", **fields}
