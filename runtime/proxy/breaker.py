"""A circuit breaker per provider: stop sending traffic to a provider that keeps failing.

After `failures` consecutive failures (or a 429 with Retry-After) a provider is cooled down. When the cool-down
ends, the next request is a probe: success closes the breaker, another failure opens it again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass
class _State:
    consecutive_failures: int = 0
    open_until: float = 0.0
    # Set by a 429's Retry-After: unlike an open breaker, the provider is not even probed until then.
    limited_until: float = 0.0
    last_error: str | None = None


class CircuitBreaker:
    def __init__(self, failures: int, cooldown_seconds: float, clock=time.monotonic) -> None:
        self.failures = failures
        self.cooldown_seconds = cooldown_seconds
        self.clock = clock
        self._states: dict[str, _State] = {}

    def is_open(self, provider: str) -> bool:
        state = self._states.get(provider)
        return state is not None and state.open_until > self.clock()

    def rate_limited_for(self, provider: str) -> float:
        """Seconds until a provider that answered 429 with Retry-After may be asked again (0: now)."""
        state = self._states.get(provider)
        return max(0.0, state.limited_until - self.clock()) if state is not None else 0.0

    def record_success(self, provider: str) -> None:
        state = self._states.get(provider)
        if state is not None:
            state.consecutive_failures = 0
            state.open_until = 0.0

    def record_failure(self, provider: str, error: str) -> None:
        state = self._states.setdefault(provider, _State())
        state.consecutive_failures += 1
        state.last_error = error
        if state.consecutive_failures >= self.failures:
            state.open_until = self.clock() + self.cooldown_seconds

    def cool_down(self, provider: str, seconds: float, error: str) -> None:
        """Leave a provider alone for a given time, as a 429's Retry-After asks."""
        state = self._states.setdefault(provider, _State())
        state.last_error = error
        until = self.clock() + seconds
        state.open_until = max(state.open_until, until)
        state.limited_until = max(state.limited_until, until)

    def snapshot(self) -> dict[str, dict]:
        now = self.clock()
        return {
            name: {
                "open": state.open_until > now,
                "retry_in_seconds": round(max(0.0, state.open_until - now), 1),
                "rate_limited": state.limited_until > now,
                "consecutive_failures": state.consecutive_failures,
                "last_error": state.last_error,
            }
            for name, state in self._states.items()
        }
