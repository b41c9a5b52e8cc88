"""The compiled exact sum is ``math.fsum``, bit for bit (the welfare of compiled clearing depends on it)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ioa_gym.auctions._fsum_kernel import fsum

finite = st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False)


@settings(max_examples=400, deadline=None)
@given(st.lists(finite, max_size=40))
def test_compiled_fsum_is_math_fsum(values: list[float]) -> None:
    array = np.array(values, dtype=float)
    assert fsum(array, len(values)) == math.fsum(values)
    assert math.copysign(1.0, fsum(array, len(values))) == math.copysign(1.0, math.fsum(values))


def test_hard_cases() -> None:
    cases = [
        [1e100, 1.0, -1e100, 1e-100, 1e50, -1.0, -1e50],
        [1.0, 1e-16, 1e-16],  # half-way cases resolved by the later partials
        [0.1] * 10,
        [2.0**53, 1.0, -(2.0**-52)],
        [-0.0, -0.0],
        [],
        [1e308, -1e308, 1.0],
    ]
    rng = np.random.default_rng(0)
    cases += [list(rng.uniform(-12, 12, 30)) + list(-rng.uniform(1, 9, 30)) for _ in range(50)]
    for values in cases:
        assert fsum(np.array(values, dtype=float), len(values)) == math.fsum(values), values


def test_only_the_first_count_values_are_summed() -> None:
    assert fsum(np.array([1.0, 2.0, 4.0]), 2) == 3.0
