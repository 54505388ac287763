"""Roles the hub knows, and what becomes of the ones it does not."""

from __future__ import annotations

from .hub import Message
from .losses import LossCollector

# Roles the hub knows; every target can express these (anthropic takes developer as system).
_KNOWN_ROLES = frozenset({"user", "assistant", "system", "developer"})


def send_unknown_roles_as_user(messages: list[Message], target: str, losses: LossCollector) -> None:
    """A role newer than this code is sent as a user turn (reported) rather than refused by the target."""
    for message in messages:
        if message.role not in _KNOWN_ROLES:
            losses.coerced(f"{message.path}.role", f"{target} has no role {message.role!r}; sent as user")
            message.role = "user"
