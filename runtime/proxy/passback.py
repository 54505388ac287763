"""Response headers of a provider that its client should still see: the request id (what a provider's
support asks for) and the rate-limit state (what SDKs and agents pace themselves by).

Each format's own names pass unchanged; the request id and the request and token limits are also given
under the client format's names. Reset times are not converted: Anthropic sends a timestamp, OpenAI a
duration, and a client that finds only the other format's header simply does not see one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# The rate-limit families by prefix, the others by their whole name; any case. One pattern: matching it is a
# single C call per header, where lower-casing, a set lookup and a prefix test were three.
_KEPT = re.compile(rb"anthropic-ratelimit-|x-ratelimit-|(?:retry-after|retry-after-ms|request-id|x-request-id)\Z",
                   re.IGNORECASE)
_ANTHROPIC_TO_OPENAI = {
    b"anthropic-ratelimit-requests-limit": b"x-ratelimit-limit-requests",
    b"anthropic-ratelimit-requests-remaining": b"x-ratelimit-remaining-requests",
    b"anthropic-ratelimit-tokens-limit": b"x-ratelimit-limit-tokens",
    b"anthropic-ratelimit-tokens-remaining": b"x-ratelimit-remaining-tokens",
    b"request-id": b"x-request-id",
}
_OPENAI_TO_ANTHROPIC = {openai: anthropic for anthropic, openai in _ANTHROPIC_TO_OPENAI.items()}


def passed_back(upstream: Iterable[tuple[bytes, bytes]], client_format: str) -> list[tuple[bytes, bytes]]:
    """The headers (raw, as httpx's `headers.raw` gives them) to add to the client's response."""
    renames = _OPENAI_TO_ANTHROPIC if client_format == "anthropic" else _ANTHROPIC_TO_OPENAI
    out: dict[bytes, bytes] = {}
    for name, value in upstream:
        if _KEPT.match(name) is not None:
            out.setdefault(name.lower(), value)
    if not out:
        return []
    for name, value in list(out.items()):
        renamed = renames.get(name)
        if renamed is not None:
            out.setdefault(renamed, value)
    return list(out.items())
