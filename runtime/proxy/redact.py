"""Keep credentials out of everything the proxy writes or answers: logs, the database, error bodies, console."""

from __future__ import annotations

import logging
import re

MASK = "[REDACTED]"
# Headers whose value is a credential whatever it looks like.
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "proxy-authorization", "cookie"})
# Bearer tokens in free text, for keys the proxy does not know (a client's own key echoed by an upstream).
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-]{8,}")


class Redactor:
    def __init__(self, secrets: list[str]) -> None:
        # Longest first so that a key that contains another is masked whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
        self.secret_bytes = [s.encode() for s in self.secrets]

    def text(self, value: str) -> str:
        for secret in self.secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return _BEARER.sub(r"\1" + MASK, value)

    def bytes(self, value: bytes) -> bytes:
        for secret in self.secret_bytes:
            if secret in value:
                value = value.replace(secret, MASK.encode())
        return value

    def headers(self, headers: dict[str, str]) -> dict[str, str]:
        return {k: (MASK if k.lower() in SECRET_HEADERS else self.text(v)) for k, v in headers.items()}


class RedactingFilter(logging.Filter):
    """Masks secrets in every record passing through a handler, including uvicorn's own."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.redactor.text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
