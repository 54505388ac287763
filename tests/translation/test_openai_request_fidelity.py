"""Chat and Responses requests across formats: what the client chose survives, or its change is reported.

Each test names the FOUND.md entry (tests/properties) whose fix it pins down in the translation layer.
"""

from __future__ import annotations

from .helpers import losses_of, request

USER = [{"role": "user", "content": "hi"}]


# FOUND 28
def test_a_store_the_client_chose_is_kept_when_reasoning_is_replayed() -> None:
    for store in (True, False):
        body = {"model": "m", "messages": USER, "reasoning_effort": "low", "store": store}
        out = request(body, "chat", "responses")
        assert out.body["store"] is store
        assert out.body["include"] == ["reasoning.encrypted_content"]
        assert losses_of(out) == {("include", "synthesized")}


def test_store_false_is_added_and_reported_when_the_client_said_nothing() -> None:
    out = request({"model": "m", "messages": USER, "reasoning_effort": "low"}, "chat", "responses")
    assert out.body["store"] is False
    assert losses_of(out) == {("include", "synthesized"), ("store", "synthesized")}
