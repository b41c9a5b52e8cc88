"""Student t quantiles and confidence intervals, without SciPy."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

import numpy as np

CONFIDENCE = 0.95
"""Confidence level of every interval the tooling reports."""


def _t_two_sided_cdf(t: float, df: int) -> float:
    """P(|T| <= t) for Student's t with an integer number of degrees of freedom (closed form series)."""
    theta = math.atan(t / math.sqrt(df))
    sin, cos2 = math.sin(theta), math.cos(theta) ** 2
    if df % 2 == 1:
        if df == 1:
            return 2.0 * theta / math.pi
        term, total = 1.0, 1.0
        for k in range(1, (df - 3) // 2 + 1):
            term *= cos2 * (2 * k) / (2 * k + 1)
            total += term
        return 2.0 / math.pi * (theta + sin * math.cos(theta) * total)
    term, total = 1.0, 1.0
    for k in range(1, (df - 2) // 2 + 1):
        term *= cos2 * (2 * k - 1) / (2 * k)
        total += term
    return sin * total


def student_t_quantile(probability: float, df: int) -> float:
    """Quantile of Student's t distribution (``probability`` in (0, 1), integer ``df`` >= 1).

    Exact series inverted by bisection for df <= 200; above, the Cornish-Fisher expansion around the
    normal quantile (error below 1e-8 there).
    """
    if not 0.0 < probability < 1.0:
        raise ValueError(f"probability must be in (0, 1), got {probability}")
    if int(df) != df or df < 1:
        raise ValueError(f"df must be an integer >= 1, got {df}")
    if probability < 0.5:
        return -student_t_quantile(1.0 - probability, df)
    if probability == 0.5:
        return 0.0
    if df > 200:
        z = statistics.NormalDist().inv_cdf(probability)
        return (
            z
            + (z**3 + z) / (4 * df)
            + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
        )
    coverage = 2.0 * probability - 1.0
    low, high = 0.0, 1.0
    while _t_two_sided_cdf(high, df) < coverage:
        low, high = high, 2.0 * high
    for _ in range(200):
        middle = 0.5 * (low + high)
        if _t_two_sided_cdf(middle, df) < coverage:
            low = middle
        else:
            high = middle
        if high - low <= 1e-12 * high:
            break
    return 0.5 * (low + high)


def t_half_width(std: np.ndarray | float, n: int, confidence: float = CONFIDENCE) -> np.ndarray | float:
    """Half width of the Student t interval of a mean of ``n`` >= 2 values with sample std ``std``."""
    return student_t_quantile(0.5 + confidence / 2.0, n - 1) * std / math.sqrt(n)


def mean_confidence_interval(
    values: Sequence[float], confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """(mean, low, high): Student t interval of the mean of independent ``values`` (nan bounds for < 2)."""
    array = np.asarray(values, dtype=float)
    if array.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(array.mean())
    if array.size < 2:
        return mean, math.nan, math.nan
    half = float(t_half_width(float(array.std(ddof=1)), array.size, confidence))
    return mean, mean - half, mean + half


def nanmean(values: Sequence[float]) -> float:
    """Mean of the values that are not nan (nan when none is)."""
    finite = [v for v in values if not math.isnan(v)]
    return math.fsum(finite) / len(finite) if finite else math.nan


__all__ = ["CONFIDENCE", "mean_confidence_interval", "nanmean", "student_t_quantile", "t_half_width"]
