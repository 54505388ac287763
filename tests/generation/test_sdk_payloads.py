"""Payloads nobody here wrote validate against the generated models with no field left unrecognised.

Requests, responses and every stream event type are built from the official SDK types (every field filled,
every union alternative visited), validated by the SDK where it has models, dumped to JSON, and validated
by our generated models. Any field that lands in `model_extra` or any block read as an unknown variant
means our spec misses something the SDK has.
"""

from __future__ import annotations

import importlib
import typing
from typing import Any

import pydantic
import pytest
from apiswitch.codegen.coverage import SDK_ROOTS, _load, _sdk_members, _sdk_tag

from .sdk_samples import prune_none, samples

APIS = sorted(SDK_ROOTS)


def unrecognised(value: Any, path: str = "") -> list[str]:
    """Paths of fields our models did not recognise, and of variants read as unknown."""
    found: list[str] = []
    if isinstance(value, pydantic.BaseModel):
        if type(value).__name__ == "UnknownVariant":
            return [f"{path or '<root>'} (unknown variant {getattr(value, 'type', '?')!r})"]
        for key in value.model_extra or {}:
            found.append(f"{path}.{key}" if path else key)
        for name in type(value).model_fields:
            found.extend(unrecognised(getattr(value, name), f"{path}.{name}" if path else name))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found.extend(unrecognised(item, f"{path}[{i}]"))
    elif isinstance(value, dict):
        for key, item in value.items():
            found.extend(unrecognised(item, f"{path}.{key}"))
    return found


def ours(api: str) -> Any:
    return importlib.import_module(f"apiswitch.generated.{api}")


def sdk_json(model: Any, payload: Any) -> Any:
    """Validate with the SDK model when there is one, and dump it as the SDK would send it."""
    if isinstance(model, type) and issubclass(model, pydantic.BaseModel):
        return model.model_validate(payload).model_dump(mode="json", by_alias=True, exclude_unset=True)
    return payload


def endpoint_models(api: str) -> dict[str, Any]:
    return next(iter(ours(api).ENDPOINTS.values()))


def sample_problems(sdk_type: Any, model: Any, label: str) -> list[str]:
    """Validate every SDK sample of `sdk_type` with our `model`; describe each failure or unrecognised field."""
    problems: list[str] = []
    for n, raw in enumerate(samples(sdk_type)):
        payload = sdk_json(sdk_type, prune_none(raw))
        try:
            parsed = model.model_validate(payload)
        except pydantic.ValidationError as err:
            problems.append(f"{label} sample {n}: {err.errors()[0]['loc']}: {err.errors()[0]['msg']}")
            continue
        problems.extend(f"{label} sample {n}: {p}" for p in unrecognised(parsed))
    return problems


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("part", ["request", "response"])
def test_sdk_payloads_validate_with_nothing_unrecognised(api: str, part: str) -> None:
    root = _load(getattr(SDK_ROOTS[api], part))
    model = endpoint_models(api)[part]
    assert model is not None, f"specs/{api}.md names no {part} model"
    problems = sample_problems(root, model, part)
    assert not problems, f"{len(problems)} problems, e.g.:\n" + "\n".join(sorted(set(problems))[:40])


def _event_model_for(api: str, tag: str) -> Any:
    for name, model in ours(api).EVENT_MODELS.items():
        if model is None:
            continue
        for field in ("type", "object"):
            info = model.model_fields.get(field)
            if info is not None and tag in typing.get_args(info.annotation):
                return model
        if name == tag:
            return model
    return None


@pytest.mark.parametrize("api", APIS)
def test_every_sdk_stream_event_validates_with_nothing_unrecognised(api: str) -> None:
    problems: list[str] = []
    members = _sdk_members(_load(SDK_ROOTS[api].stream))
    assert members
    for member in members:
        tag = _sdk_tag(member)
        model = _event_model_for(api, tag)
        if model is None:
            problems.append(f"{tag}: no event model in specs/{api}.md")
            continue
        problems.extend(sample_problems(member, model, tag))
    assert not problems, f"{len(problems)} problems, e.g.:\n" + "\n".join(sorted(set(problems))[:40])
