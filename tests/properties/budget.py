"""How many examples the properties draw, and from which seed: the one place that reads the environment.

CI runs the default: 100 examples per property and pair, derandomized, so a failure comes from the code and
never from the draw. A local bug hunt opts in with environment variables:

- ``APISWITCH_PROPERTY_EXAMPLES=<n>``: draw ``n`` examples per property and pair (still derandomized unless a
  seed is given, so the run repeats exactly);
- ``APISWITCH_PROPERTY_SEED=<int>``: draw at random from that seed (repeatable with the same seed);
  ``APISWITCH_PROPERTY_SEED=random``: draw from a fresh seed on each run (hypothesis prints how to replay a
  failure).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from hypothesis import seed, settings

EXAMPLES_VARIABLE = "APISWITCH_PROPERTY_EXAMPLES"
SEED_VARIABLE = "APISWITCH_PROPERTY_SEED"
DEFAULT_EXAMPLES = 100


def _examples() -> int:
    text = os.environ.get(EXAMPLES_VARIABLE, "").strip()
    if not text:
        return DEFAULT_EXAMPLES
    examples = int(text)
    if examples < 1:
        raise ValueError(f"{EXAMPLES_VARIABLE} must be a positive integer, not {text!r}")
    return examples


def _seed() -> int | str | None:
    """None: derandomized (CI); "random": hypothesis picks a seed; an int: that seed."""
    text = os.environ.get(SEED_VARIABLE, "").strip()
    if not text:
        return None
    return "random" if text.lower() == "random" else int(text)


def property_run() -> Callable[[Any], Any]:
    """A decorator for a ``@given`` test: the settings of this run, and its seed if one was asked for.

    No deadline: the machine is shared and a slow example says nothing about the code. No example database:
    a run draws only what its settings say, so two runs with the same variables draw the same examples."""
    chosen_seed = _seed()
    run_settings = settings(max_examples=_examples(), deadline=None, derandomize=chosen_seed is None,
                            database=None)

    def apply(test: Any) -> Any:
        test = run_settings(test)
        return seed(chosen_seed)(test) if isinstance(chosen_seed, int) else test

    return apply
