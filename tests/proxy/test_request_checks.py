"""The proxy's request checks come in two spellings: a yes/no pass for the requests that are fine (nearly
all) and the search for the failing field that only a bad request pays for. They must agree on every body."""

from __future__ import annotations

import pytest
from apiswitch.runtime.proxy.errors import ProxyError
from apiswitch.runtime.proxy.validate import _passes, _refuse
from hypothesis import given, settings
from hypothesis import strategies as st

json_values = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False, width=16),
                        st.text(max_size=3), st.lists(st.none(), max_size=1), st.just({}))
messages = st.lists(st.one_of(json_values, st.fixed_dictionaries({}, optional={"role": json_values,
                                                                                "content": json_values})),
                    max_size=3)
bodies = st.fixed_dictionaries({}, optional={"model": json_values, "stream": json_values, "input": json_values,
                                             "messages": st.one_of(messages, json_values),
                                             "max_tokens": json_values, "other": json_values})


def _refused(body: dict, fmt: str, count_tokens: bool) -> bool:
    try:
        _refuse(body, fmt, count_tokens)
    except ProxyError:
        return True
    return False


@pytest.mark.parametrize("fmt", ["anthropic", "chat", "responses"])
@pytest.mark.parametrize("count_tokens", [False, True])
@settings(max_examples=400, deadline=None, derandomize=True)
@given(body=bodies)
def test_the_quick_check_passes_exactly_the_bodies_the_full_check_accepts(fmt, count_tokens, body):
    assert _passes(body, fmt, count_tokens) is not _refused(body, fmt, count_tokens), body
