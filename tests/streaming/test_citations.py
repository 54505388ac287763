"""Citations in streams: what each client gets of an upstream's citations, and that it is what the
non-streaming translation of the same answer gives (body and losses alike).

Upstream streams are built inline from the citation objects of the official SDK types, so each test shows
the exact upstream shape; expectations are derived from those inputs, not copied from an output."""

from __future__ import annotations

import json
from typing import Any

import pytest
from apiswitch.runtime.translate import translate_response

from apiswitch import StreamTranslator

from .checkers import check_anthropic, check_chat, check_responses, parse_sse
from .harness import fixture_bytes, make_context
from .test_directions import _non_streaming_body

WIKIPEDIA = {
    "type": "web_search_result_location",
    "url": "https://en.wikipedia.org/wiki/Rayleigh_scattering",
    "title": "Rayleigh scattering - Wikipedia",
    "cited_text": "Rayleigh scattering is the scattering of light by particles much smaller",
    "encrypted_index": "EpMBCioIBxgCIiQ4ODk4YTFkYy0yMTNkLTRhNmYtOTljYi03ZTBlNTUzZDc0NWISDA==",
}
NASA = {
    "type": "web_search_result_location",
    "url": "https://science.nasa.gov/why-is-the-sky-blue",
    "title": None,
    "cited_text": "Sunlight reaches Earth's atmosphere and is scattered in all directions",
    "encrypted_index": "Eo8BCioIBxgCIiQ0YzFmZDA1Ni1hMjkxLTQ1YjMtYTg1Zi1iNWI3YmI0ZTBkODgSDA==",
}
# The citation kinds that point into documents or search results the client supplied: no URL to cite.
DOCUMENT_CITATIONS = {
    "char_location": {
        "type": "char_location",
        "cited_text": "The grass is green.",
        "document_index": 0,
        "document_title": "Notes",
        "start_char_index": 0,
        "end_char_index": 19,
    },
    "page_location": {
        "type": "page_location",
        "cited_text": "Water boils at 100 degrees.",
        "document_index": 1,
        "document_title": "Physics.pdf",
        "start_page_number": 3,
        "end_page_number": 4,
    },
    "content_block_location": {
        "type": "content_block_location",
        "cited_text": "Paris is the capital.",
        "document_index": 0,
        "document_title": None,
        "start_block_index": 1,
        "end_block_index": 2,
    },
    "search_result_location": {
        "type": "search_result_location",
        "cited_text": "apiswitch translates streams.",
        "source": "https://docs.example.com/streams",
        "title": "Streams",
        "search_result_index": 0,
        "start_block_index": 0,
        "end_block_index": 0,
    },
}
INTRO = "Here is what I found. "
CITED = ["The sky looks blue", " because air scatters", " short wavelengths more."]


def anthropic_stream(blocks: list[tuple[list[str], list[dict[str, Any]]]]) -> bytes:
    """An Anthropic stream of text blocks, each with its citations sent first, as the API streams them."""
    frames: list[tuple[str, dict[str, Any]]] = [
        (
            "message_start",
            {
                "message": {
                    "id": "msg_cite",
                    "type": "message",
                    "role": "assistant",
                    "model": "claude-sonnet-4-5",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 30, "output_tokens": 1},
                }
            },
        )
    ]
    for index, (pieces, citations) in enumerate(blocks):
        frames.append(
            ("content_block_start", {"index": index, "content_block": {"type": "text", "text": ""}})
        )
        for citation in citations:
            delta = {"type": "citations_delta", "citation": citation}
            frames.append(("content_block_delta", {"index": index, "delta": delta}))
        for piece in pieces:
            frames.append(
                ("content_block_delta", {"index": index, "delta": {"type": "text_delta", "text": piece}})
            )
        frames.append(("content_block_stop", {"index": index}))
    frames.append(("message_delta", {"delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 20}}))
    frames.append(("message_stop", {}))
    return b"".join(
        f"event: {name}\ndata: {json.dumps({'type': name, **payload})}\n\n".encode()
        for name, payload in frames
    )


def run(upstream: bytes, source: str, target: str) -> tuple[bytes, set[tuple[str, str, str]]]:
    translator = StreamTranslator(source, target, context=make_context(source, target))
    out = translator.feed(upstream) + translator.finish()
    return out, {(loss.path, loss.action, loss.reason) for loss in translator.losses if loss.path != "usage"}


def non_streaming_losses(upstream: bytes, source: str, target: str, server) -> set[tuple[str, str, str]]:
    body = _non_streaming_body(server.accumulate(upstream, source), source)
    translation = translate_response(body, source, target, make_context(source, target))
    return {(loss.path, loss.action, loss.reason) for loss in translation.losses}


def url_fields(citation: dict[str, Any], start: int, end: int) -> dict[str, Any]:
    return {"url": citation["url"], "title": citation["title"] or "", "start_index": start, "end_index": end}


# --- Anthropic upstream -----------------------------------------------------------------------------------


def test_web_citations_reach_a_responses_client_as_annotations_of_their_text(stream_server):
    upstream = anthropic_stream([([INTRO], []), (CITED, [WIKIPEDIA, NASA])])
    out, losses = run(upstream, "anthropic", "responses")
    cited = "".join(CITED)
    expected = [{"type": "url_citation", **url_fields(c, 0, len(cited))} for c in (WIKIPEDIA, NASA)]

    events = [(name, json.loads(data)) for name, data in parse_sse(out)]
    added = [payload for name, payload in events if name == "response.output_text.annotation.added"]
    assert [e["annotation"] for e in added] == expected
    assert [e["annotation_index"] for e in added] == [0, 1]
    # On the part of the cited text, announced before that part's text is done.
    (text_done,) = [p for n, p in events if n == "response.output_text.done" and p["text"] == cited]
    assert {(e["item_id"], e["output_index"], e["content_index"]) for e in added} == {
        (text_done["item_id"], text_done["output_index"], text_done["content_index"])
    }
    assert all(e["sequence_number"] < text_done["sequence_number"] for e in added)

    final = check_responses(out)["response"]  # the checker also matches each part's annotations to the events
    parts = [part for item in final["output"] for part in item["content"]]
    assert [(p["text"], p["annotations"]) for p in parts] == [(INTRO, []), (cited, expected)]
    sdk = stream_server.accumulate(out, "responses")
    assert [p["annotations"] for item in sdk["output"] for p in item["content"]] == [[], expected]
    assert losses == non_streaming_losses(upstream, "anthropic", "responses", stream_server) == set()


def test_web_citations_reach_a_chat_client_in_one_annotations_delta_indexing_the_whole_content(stream_server):
    upstream = anthropic_stream([([INTRO], []), (CITED, [WIKIPEDIA, NASA])])
    out, losses = run(upstream, "anthropic", "chat")
    cited = "".join(CITED)
    start, end = len(INTRO), len(INTRO) + len(cited)
    expected = [
        {"type": "url_citation", "url_citation": url_fields(c, start, end)} for c in (WIKIPEDIA, NASA)
    ]

    summary = check_chat(out)  # rejects annotations spread over several deltas, which the SDK cannot merge
    assert summary["annotations"] == expected
    chunks = [json.loads(data) for _, data in parse_sse(out)[:-1]]
    carrying = [i for i, c in enumerate(chunks) if c["choices"] and "annotations" in c["choices"][0]["delta"]]
    finishing = [i for i, c in enumerate(chunks) if c["choices"] and c["choices"][0]["finish_reason"]]
    assert len(carrying) == 1 and carrying[0] < finishing[0]

    message = stream_server.accumulate(out, "chat")["choices"][0]["message"]
    assert message["annotations"] == expected
    assert message["content"][start:end] == cited  # the indices point at the text that was cited
    # Chat joins the two text blocks into one string, which both paths report; the citations survive.
    assert losses == non_streaming_losses(upstream, "anthropic", "chat", stream_server)
    assert {(path, action) for path, action, _ in losses} == {("content[1]", "coerced")}


def test_anthropic_citations_of_every_kind_pass_through_to_claude_unchanged(stream_server):
    citations = [WIKIPEDIA, *DOCUMENT_CITATIONS.values()]
    upstream = anthropic_stream([(CITED, citations)])
    out, losses = run(upstream, "anthropic", "anthropic")

    deltas = [json.loads(data)["delta"] for name, data in parse_sse(out) if name == "content_block_delta"]
    assert [d["citation"] for d in deltas if d["type"] == "citations_delta"] == citations
    (block,) = check_anthropic(out)["blocks"]
    assert block["citations"] == citations
    (sdk_block,) = stream_server.accumulate(out, "anthropic")["content"]
    assert sdk_block["citations"] == [{k: v for k, v in c.items() if v is not None} for c in citations]
    assert losses == set()


@pytest.mark.parametrize("kind", sorted(DOCUMENT_CITATIONS))
@pytest.mark.parametrize("target", ["chat", "responses"])
def test_citations_without_a_url_are_reported_as_the_non_streaming_translation_reports_them(
    kind, target, stream_server
):
    upstream = anthropic_stream([(CITED, [DOCUMENT_CITATIONS[kind], WIKIPEDIA])])
    out, losses = run(upstream, "anthropic", target)

    assert {(path, action) for path, action, _ in losses} == {("content[0].citations", "dropped")}
    assert losses == non_streaming_losses(upstream, "anthropic", target, stream_server)
    # The URL citation beside it still arrives.
    if target == "chat":
        urls = [a["url_citation"]["url"] for a in check_chat(out)["annotations"]]
    else:
        urls = [
            a["url"]
            for item in check_responses(out)["items"]
            for p in item["content"]
            for a in p["annotations"]
        ]
    assert urls == [WIKIPEDIA["url"]]


# --- Responses and chat upstreams -------------------------------------------------------------------------


def responses_fixture_annotations() -> list[dict[str, Any]]:
    """The annotations the Responses fixture's upstream announces, in order."""
    data = fixture_bytes("web_citations", "responses")
    return [
        json.loads(payload)["annotation"]
        for name, payload in parse_sse(data)
        if name == "response.output_text.annotation.added"
    ]


def test_responses_annotations_pass_through_to_codex_as_they_came():
    upstream = fixture_bytes("web_citations", "responses")
    out, losses = run(upstream, "responses", "responses")
    sent = responses_fixture_annotations()
    assert sent, "the fixture must announce annotations"
    added = [
        json.loads(p)["annotation"] for n, p in parse_sse(out) if n == "response.output_text.annotation.added"
    ]
    assert added == sent
    parts = [p for item in check_responses(out)["items"] for p in item["content"]]
    assert [a for p in parts for a in p["annotations"]] == sent
    assert losses == set()


def test_responses_url_annotations_reach_claude_as_the_non_streaming_translation_gives_them(stream_server):
    """Anthropic web citations need an encrypted index only Anthropic's search can give: like the
    non-streaming translation, the text arrives whole and the citations are reported as dropped."""
    upstream = fixture_bytes("web_citations", "responses")
    out, losses = run(upstream, "responses", "anthropic")
    blocks = check_anthropic(out)["blocks"]
    assert all("citations" not in b for b in blocks)
    assert "".join(b["text"] for b in blocks) == INTRO + "".join(CITED)
    assert ("output[1].content[0].citations", "dropped") in {(p, a) for p, a, _ in losses}
    assert losses == non_streaming_losses(upstream, "responses", "anthropic", stream_server)


def test_responses_annotations_reach_a_chat_client_indexing_the_whole_content(stream_server):
    upstream = fixture_bytes("web_citations", "responses")
    out, losses = run(upstream, "responses", "chat")
    sent = responses_fixture_annotations()
    offset = len(INTRO)
    expected = [
        {
            "type": "url_citation",
            "url_citation": url_fields(a, offset + a["start_index"], offset + a["end_index"]),
        }
        for a in sent
    ]
    message = stream_server.accumulate(out, "chat")["choices"][0]["message"]
    assert message["annotations"] == expected
    assert all(
        message["content"][a["start_index"] : a["end_index"]] == "".join(CITED)
        for a in (e["url_citation"] for e in expected)
    )
    assert not {loss for loss in losses if "citations" in loss[0]}


def test_annotations_listed_only_in_the_finished_part_are_not_lost(stream_server):
    """Some upstreams never send annotation.added: the part's done event is the only place they appear."""
    frames = fixture_bytes("web_citations", "responses").split(b"\n\n")
    upstream = b"".join(
        f + b"\n\n" for f in frames if f and b"response.output_text.annotation.added" not in f
    )
    sent = responses_fixture_annotations()
    out, _ = run(upstream, "responses", "responses")
    added = [
        json.loads(p)["annotation"] for n, p in parse_sse(out) if n == "response.output_text.annotation.added"
    ]
    assert added == sent
    chat, _ = run(upstream, "responses", "chat")
    assert [a["url_citation"]["url"] for a in check_chat(chat)["annotations"]] == [a["url"] for a in sent]


def test_chat_annotations_reach_codex_with_their_indices_and_are_reported_for_claude(stream_server):
    upstream = fixture_bytes("web_citations", "chat")
    sent = [
        annotation
        for _, data in parse_sse(upstream)[:-1]
        for choice in json.loads(data)["choices"]
        for annotation in choice["delta"].get("annotations") or ()
    ]
    assert sent, "the fixture must send annotations"
    out, losses = run(upstream, "chat", "responses")
    (text,) = [p for item in check_responses(out)["items"] for p in item["content"]]
    assert text["annotations"] == [{"type": "url_citation", **a["url_citation"]} for a in sent]
    assert losses == non_streaming_losses(upstream, "chat", "responses", stream_server) == set()

    out, losses = run(upstream, "chat", "anthropic")
    assert all("citations" not in b for b in check_anthropic(out)["blocks"])
    assert {(p, a) for p, a, _ in losses} == {("choices[0].message.content.citations", "dropped")}
    assert losses == non_streaming_losses(upstream, "chat", "anthropic", stream_server)


def test_chat_annotations_with_no_text_to_cite_are_reported():
    head = {"id": "chatcmpl-a", "object": "chat.completion.chunk", "created": 1700000000, "model": "m"}
    annotation = {"type": "url_citation", "url_citation": url_fields(WIKIPEDIA, 0, 4)}
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    deltas = [{"role": "assistant"}, {"tool_calls": [call]}, {"annotations": [annotation]}]
    frames = [{**head, "choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
    frames.append({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    upstream = b"".join(b"data: " + json.dumps(f).encode() + b"\n\n" for f in frames) + b"data: [DONE]\n\n"
    for target in ("chat", "responses"):
        out, losses = run(upstream, "chat", target)
        assert ("choices[0].message.annotations", "dropped") in {(p, a) for p, a, _ in losses}
        if target == "chat":
            assert check_chat(out)["annotations"] == []
