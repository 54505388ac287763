"""Helpers every spoke uses: unmapped keys, cache hints, data URLs, the emit state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import hub
from ..context import TranslationContext
from ..errors import TranslationError
from ..losses import LossCollector, join_path


@dataclass(slots=True)
class Emit:
    """What a ``*_from_hub`` function needs besides the hub object itself."""

    source: str  # the format the hub object was read from
    target: str  # the format being written
    losses: LossCollector
    context: TranslationContext
    options: dict[str, Any] = field(default_factory=dict)
    # "request": the body goes to an upstream, which can only verify its own opaque reasoning state.
    # "response": the body goes to a client, which only has to hand opaque state back to us.
    direction: str = "request"
    # Asked dozens of times per body, so worked out once (source and target never change afterwards).
    same_format: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.same_format = self.source == self.target

    def restore_extra(self, out: dict[str, Any], extra: dict[str, Any] | None, path: str,
                      quiet: dict[str, Any] | None = None) -> None:
        """Put back keys no mapping covers when writing the source's own format; report them otherwise.

        ``quiet`` keys (bookkeeping) are put back for the same format and not reported for others."""
        if quiet and self.same_format:
            for key, value in quiet.items():
                out.setdefault(key, value)
        if not extra:
            return
        if self.same_format:
            for key, value in extra.items():
                out.setdefault(key, value)
            return
        shared = OPENAI_SHARED_KEYS if not path and {self.source, self.target} == {"chat", "responses"} else ()
        for key in extra:
            if key in shared:
                out.setdefault(key, extra[key])
                continue
            if extra[key] == {}:
                continue  # an empty object says nothing that could be lost
            self.losses.dropped(join_path(path, key), f"no equivalent in {self.target}")

    def cache_control(self, out: dict[str, Any], part: dict[str, Any], path: str) -> None:
        """Anthropic cache hints: kept for anthropic (and when the options allow), else reported."""
        hint = part.get("cache_control")
        if hint is None:
            return
        if self.target == "anthropic" or self.options.get("keep_cache_control"):
            out["cache_control"] = hint
        else:
            self.losses.dropped(join_path(path, "cache_control"),
                                f"{self.target} has no cache hints (caching there is automatic)")


def split_extra(body: dict[str, Any], known: frozenset[str] | set[str]) -> dict[str, Any]:
    """The keys of ``body`` that no mapping covers."""
    if known.issuperset(body):  # the common case, checked in C (faster than `body.keys() <= known`)
        return {}
    return {k: v for k, v in body.items() if k not in known}


def finish_part(part: dict[str, Any], original: dict[str, Any], known: frozenset[str] | set[str],
                path: str) -> dict[str, Any]:
    """Complete a hub part read from `original`: what the hub has no field for goes into `extra`, and the
    original and its path travel along so the same format can give it back untouched."""
    if not known.issuperset(original):  # most parts have only mapped keys: spare the call
        part["extra"] = split_extra(original, known)
    part["original"] = original
    part["path"] = path
    return part


def read_content(content: Any, path: str,
                 read_part: Callable[[dict[str, Any], str], dict[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
    """A message's content as hub parts, and whether it was a plain string. None is no content; anything
    else that is not a string or an array of objects cannot be read, and is not skipped in silence."""
    if isinstance(content, str):
        return [{"type": "text", "text": content, "path": path}], True
    if isinstance(content, list):
        parts = []
        for i, part in enumerate(content):
            if not isinstance(part, dict):
                raise TranslationError(f"{path}[{i}] must be an object", param=f"{path}[{i}]")
            parts.append(read_part(part, f"{path}[{i}]"))
        return parts, False
    if content is not None:
        raise TranslationError(f"{path} must be a string or an array", param=path)
    return [], False


def report_document_extras(part: dict[str, Any], emit: Emit, path: str, where: str) -> None:
    """A document's title, context and citations setting have no place in an OpenAI file part (a title
    already used as the filename is not lost)."""
    if emit.same_format:
        return
    for key in ("title", "context"):
        if key == "title" and "filename" not in part:
            continue
        if key in part:
            emit.losses.dropped(join_path(path, key), f"{where} have no {key}")
    if part.get("citations_config"):  # an empty config enables nothing
        emit.losses.dropped(join_path(path, "citations"), f"{where} cannot ask for citations of the document")


def report_absent_result_content(part: dict[str, Any], emit: Emit, path: str, where: str) -> None:
    """An Anthropic tool_result may leave out its content; the OpenAI formats need one, so an empty string
    stands in for it (and comes back as an explicit empty content)."""
    if part.get("content") == "" and not part.get("content_is_string") and not emit.same_format:
        emit.losses.synthesized(join_path(path, "content"), f"{where} need content; an empty string was sent")


# What an OpenAI file part is called when its data came without a name (OpenAI wants one with file data).
DEFAULT_FILENAME = "document.pdf"


def document_filename(part: dict[str, Any], emit: Emit, path: str, has_data: bool) -> str | None:
    """The filename of an OpenAI file part: the document's own, else its title. Only an anthropic document
    (which has no filename) gets one made up for its data, reported; an OpenAI client that sent none gets none."""
    filename = part.get("filename") or part.get("title")
    if filename is None and has_data and emit.source == "anthropic":
        emit.losses.synthesized(path, f"{emit.target} file data needs a filename; {DEFAULT_FILENAME} was used")
        filename = DEFAULT_FILENAME
    return filename


def parse_data_url(url: str) -> tuple[str, str] | None:
    """(media type, base64 data) of a ``data:<type>;base64,<data>`` URL, None for any other URL."""
    if not url.startswith("data:"):
        return None
    header, sep, data = url[5:].partition(",")
    if not sep or not header.endswith(";base64"):
        return None
    return header[: -len(";base64")], data


def data_url(media_type: str | None, data: str) -> str:
    return f"data:{media_type or 'application/octet-stream'};base64,{data}"


def optional(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        out[key] = value


def clamp_max_tokens(value: int, emit: Emit, path: str) -> int:
    """``value`` lowered to the provider's cap from the options (``max_tokens_cap``), reported when it clamps.

    Chat's ``max_completion_tokens`` comes back to chat as ``max_tokens`` (the key most chat providers
    take), so leaving chat it is reported."""
    if path == "max_completion_tokens" and not emit.same_format and emit.target != "chat":
        emit.losses.coerced(path, "comes back to chat as max_tokens")
    cap = emit.options.get("max_tokens_cap")
    if cap is not None and value > cap:
        emit.losses.coerced(path, f"clamped from {value} to the provider cap {cap}")
        return cap
    return value


# The end-user id keys chat and Responses share (the client's own is kept between the two), and the one each
# uses for an id that came under neither (anthropic's `metadata.user_id`).
OPENAI_USER_KEYS = frozenset({"user", "safety_identifier"})
USER_KEY_DEFAULTS = {"chat": "user", "responses": "safety_identifier"}

# Top-level request keys chat and Responses share with one meaning; carried between the two.
OPENAI_SHARED_KEYS = frozenset({"prompt_cache_key", "prompt_cache_retention", "service_tier", "store",
                                "top_logprobs", *OPENAI_USER_KEYS})


def report_joined(parts: list[dict[str, Any]], emit: Emit, default_path: str) -> None:
    """Text parts written as one string lose their boundaries: report each part after the first."""
    if len(parts) < 2:
        return  # most messages hold one part: nothing joins it
    texts = [p for p in parts if p.get("type") == "text" and p.get("text")]
    for part in texts[1:]:
        emit.losses.coerced(part.get("path", default_path), "joined with the text before it into one string")


# Where each format says why an answer ended, for loss reports on the answer.
STOP_PATHS = {"anthropic": "stop_reason", "chat": "choices[0].finish_reason", "responses": "status"}


def own_stop(stop: str | None, same_format: bool) -> tuple[str | None, str | None]:
    """(the stop reason to write from, the provider's own reason it stands for). A reason no table knows (vLLM's
    abort, DeepSeek's insufficient_system_resource) is written as if none was given, so end_turn, or tool_use
    beside tool calls, and report_stop is handed the provider's own; the same format keeps it as it came."""
    if stop is None or same_format or stop in hub.STOP_REASONS:
        return stop, None
    return None, stop


def report_stop(hub_stop: str | None, read_back: str | None, emit: Emit, stop_sequence: str | None = None,
                ) -> None:
    """Report a stop reason the target can only approximate (it would read back as another one), and a
    matched stop sequence it has no field for."""
    if stop_sequence is not None and emit.target != "anthropic" and not emit.same_format:
        emit.losses.dropped("stop_sequence", f"{emit.target} does not say which stop sequence matched")
    if hub_stop is not None and read_back != hub_stop and not emit.same_format:
        emit.losses.coerced(STOP_PATHS[emit.source], f"{emit.target} cannot say {hub_stop!r}; "
                                                     f"it reads as {read_back!r}")


def url_citation(citation: dict[str, Any], text_length: int) -> dict[str, Any] | None:
    """The ``url_citation`` fields for a hub citation of any format, or None when it cites no URL. A
    citation without indices covers its whole text, ``text_length`` characters."""
    url = citation.get("url")
    if not url or not isinstance(url, str):
        return None
    title, start, end = citation.get("title"), citation.get("start_index"), citation.get("end_index")
    return {
        "url": url,
        "title": title if isinstance(title, str) else "",
        "start_index": start if type(start) is int else 0,
        "end_index": end if type(end) is int else text_length,
    }
