"""The request log's four token counters, read from each format's `usage` object."""

from __future__ import annotations

import pytest
from apiswitch.runtime.proxy.usage import from_usage


@pytest.mark.parametrize(("fmt", "usage", "counts"), [
    # Anthropic counts cached input apart from input already.
    ("anthropic", {"input_tokens": 12, "output_tokens": 5, "cache_read_input_tokens": 100,
                   "cache_creation_input_tokens": 7},
     {"input_tokens": 12, "output_tokens": 5, "cache_read_tokens": 100, "cache_write_tokens": 7}),
    ("anthropic", {"input_tokens": 3}, {"input_tokens": 3}),
    # Chat's prompt_tokens include the cached ones: the log takes them out, as Anthropic does.
    ("chat", {"prompt_tokens": 110, "completion_tokens": 4, "total_tokens": 114,
              "prompt_tokens_details": {"cached_tokens": 100}},
     {"input_tokens": 10, "output_tokens": 4, "cache_read_tokens": 100}),
    # DeepSeek's own name for cache hits, used only when the standard one is missing.
    ("chat", {"prompt_tokens": 50, "completion_tokens": 1, "prompt_cache_hit_tokens": 20},
     {"input_tokens": 30, "output_tokens": 1, "cache_read_tokens": 20}),
    ("chat", {"prompt_tokens": 50, "prompt_tokens_details": {"cached_tokens": 5}, "prompt_cache_hit_tokens": 20},
     {"input_tokens": 45, "cache_read_tokens": 5}),
    ("chat", {"prompt_tokens": 50, "prompt_tokens_details": None, "completion_tokens": 2},
     {"input_tokens": 50, "output_tokens": 2}),
    ("chat", {"prompt_tokens": 5, "prompt_tokens_details": {"cached_tokens": 0}},
     {"input_tokens": 5, "cache_read_tokens": 0}),
    # A report that overstates the cache never makes input negative.
    ("chat", {"prompt_tokens": 5, "prompt_tokens_details": {"cached_tokens": 9}},
     {"input_tokens": 0, "cache_read_tokens": 9}),
    ("responses", {"input_tokens": 40, "output_tokens": 8, "input_tokens_details": {"cached_tokens": 32},
                   "output_tokens_details": {"reasoning_tokens": 6}},
     {"input_tokens": 8, "output_tokens": 8, "cache_read_tokens": 32}),
    # Responses has no DeepSeek fallback.
    ("responses", {"input_tokens": 40, "prompt_cache_hit_tokens": 20}, {"input_tokens": 40}),
    # Only integers are counts: booleans, floats, strings and nulls are left out.
    ("anthropic", {"input_tokens": True, "output_tokens": 2.0, "cache_read_input_tokens": "3",
                   "cache_creation_input_tokens": None}, {}),
    ("chat", {"prompt_tokens": False, "completion_tokens": 1, "prompt_tokens_details": {"cached_tokens": True}},
     {"output_tokens": 1}),
])
def test_each_formats_usage_becomes_the_logs_counters(fmt, usage, counts):
    assert from_usage(fmt, usage) == counts


@pytest.mark.parametrize("usage", [None, [], "12", 3])
def test_a_usage_that_is_no_object_counts_nothing(usage):
    assert from_usage("chat", usage) == {}
