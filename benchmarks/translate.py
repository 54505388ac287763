"""Non-streaming translation time: real agent requests and a tiny request and answer.

Run: python benchmarks/translate.py [--quick]

The requests are the captures in tests/fixtures/captures (Claude Code in anthropic format, Codex in responses
format), each translated to the two other formats; the tiny ones are a one-message anthropic request to chat and
a one-choice chat completion to anthropic with that request's context. Each row is the least time per
translation over several rounds (the body is parsed once, outside the timing), beside the floor measured in the
same run: ``orjson.loads`` and ``orjson.dumps`` of the same body, the least a proxy does with it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson
from apiswitch.runtime.translate import translate_request, translate_response

FORMATS = ("anthropic", "chat", "responses")
CAPTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "captures"
CLIENT_FORMATS = {"claude-code": "anthropic", "codex": "responses"}

TINY_REQUEST = {"model": "m", "max_tokens": 200, "messages": [{"role": "user", "content": "Say it."}]}
TINY_ANSWER = {
    "id": "chatcmpl-abc", "object": "chat.completion", "created": 1700000000, "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "It."}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12},
}


def best_us(run: Callable[[], object], number: int, rounds: int) -> float:
    """Least time per call over `rounds` rounds of `number` calls: the machine's noise only ever adds."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(number):
            run()
        best = min(best, (time.perf_counter() - start) / number)
    return best * 1e6


def client_format(name: str) -> str:
    return next(fmt for prefix, fmt in CLIENT_FORMATS.items() if name.startswith(prefix))


def main() -> None:
    rounds = 3 if "--quick" in sys.argv else 7
    print(f"{'request':46} {'direction':24} {'us':>8} {'floor us':>9} {'ratio':>6}")
    total = 0.0
    for path in sorted(CAPTURES.glob("*.json")):
        raw = orjson.dumps(orjson.loads(path.read_bytes())["request"]["body"])
        body = orjson.loads(raw)
        source = client_format(path.stem)
        floor = best_us(lambda raw=raw: orjson.dumps(orjson.loads(raw)), 200, rounds)
        for target in FORMATS:
            if target == source:
                continue
            us = best_us(lambda body=body, source=source, target=target: translate_request(body, source, target),
                         200, rounds)
            total += us
            print(f"{path.stem:46} {source + ' -> ' + target:24} {us:8.1f} {floor:9.1f} {us / floor:6.1f}")
    print(f"{'all captures, summed':71} {total:8.1f}")
    context = translate_request(TINY_REQUEST, "anthropic", "chat").context
    tiny_request = best_us(lambda: translate_request(TINY_REQUEST, "anthropic", "chat"), 20000, rounds)
    tiny_answer = best_us(lambda: translate_response(TINY_ANSWER, "chat", "anthropic", context=context), 20000, rounds)
    print(f"{'tiny request':46} {'anthropic -> chat':24} {tiny_request:8.2f}")
    print(f"{'tiny answer':46} {'chat -> anthropic':24} {tiny_answer:8.2f}")


if __name__ == "__main__":
    main()
