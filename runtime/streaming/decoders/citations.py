"""Citations a client can read. SDKs tell citations apart by their `type` and read their fields by the types
the API gives them: one that breaks that is reported and left out, rather than passed on to break the client's
parse of the whole answer. Types the spec does not describe pass as they came (new ones appear often)."""

from __future__ import annotations

from typing import Any

from apiswitch.generated.anthropic import models as anthropic_models
from apiswitch.generated.responses import models as responses_models
from apiswitch.runtime.losses import LossCollector
from pydantic import BaseModel, ValidationError

from .base import json_object

_MODELS: dict[str, dict[str, type[BaseModel]]] = {
    "anthropic": {
        "char_location": anthropic_models.CitationCharLocation,
        "page_location": anthropic_models.CitationPageLocation,
        "content_block_location": anthropic_models.CitationContentBlockLocation,
        "web_search_result_location": anthropic_models.CitationsWebSearchResultLocation,
        "search_result_location": anthropic_models.CitationsSearchResultLocation,
    },
    "responses": {
        "url_citation": responses_models.AnnotationURLCitation,
        "file_citation": responses_models.AnnotationFileCitation,
        "container_file_citation": responses_models.AnnotationContainerFileCitation,
        "file_path": responses_models.AnnotationFilePath,
    },
}


def readable(citation: Any, fmt: str, path: str, losses: LossCollector) -> dict[str, Any] | None:
    """`citation` of an upstream of format `fmt` if a client can read it; else None (reported unless null)."""
    if citation is None:
        return None
    value = json_object(citation)
    kind = value.get("type")
    if type(kind) is not str:
        losses.dropped(path, "a citation without a type")
        return None
    model = _MODELS[fmt].get(kind)
    if model is not None:
        try:
            model.model_validate(value, strict=True)
        except ValidationError as exc:
            where = ".".join(str(part) for part in exc.errors()[0]["loc"])
            losses.dropped(path, f"a {kind} citation whose {where} is missing or of the wrong type")
            return None
    return value
