"""qmath against plain-integer re-statements of the C++ formulas (hypothesis properties)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from edgequant import qmath

int32s = st.integers(-(2**31), 2**31 - 1)


def _srdhm_ref(a: int, b: int) -> int:
    if a == b == -(2**31):
        return 2**31 - 1
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    return int((ab + nudge) / (1 << 31)) if abs(ab + nudge) < 2**52 else \
        (abs(ab + nudge) >> 31) * (1 if ab + nudge >= 0 else -1)


def _rdbpot_ref(x: int, e: int) -> int:
    mask = (1 << e) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if remainder > threshold else 0)


@given(int32s, int32s)
def test_srdhm(a: int, b: int) -> None:
    assert int(qmath.srdhm(a, b)) == _srdhm_ref(a, b)


@given(int32s, st.integers(0, 31))
def test_rdbpot_ties_away_from_zero(x: int, e: int) -> None:
    assert int(qmath.rdbpot(x, e)) == _rdbpot_ref(x, e)
    if e:
        exact = x / 2**e
        r = int(qmath.rdbpot(x, e))
        assert abs(r - exact) <= 0.5
        if abs(r - exact) == 0.5:
            assert abs(r) > abs(exact)


def test_srdhm_edge_cases() -> None:
    assert int(qmath.srdhm(-(2**31), -(2**31))) == 2**31 - 1
    assert int(qmath.srdhm(1 << 30, 1 << 30)) == 1 << 29
    # ties go toward +inf: 3 * 2^30 * 2 / 2^32 = 1.5 -> 2; -1.5 -> -1
    assert int(qmath.srdhm(3, 1 << 30)) == 2
    assert int(qmath.srdhm(-3, 1 << 30)) == -1


@given(st.floats(1e-12, 1e6, allow_nan=False))
def test_quantize_multiplier_represents_m(m: float) -> None:
    mult, shift = qmath.quantize_multiplier(m)
    if mult == 0:
        assert m < 2**-31
        return
    assert 2**30 <= mult < 2**31
    assert math.isclose(mult * 2.0**(shift - 31), m, rel_tol=2**-30)


def test_quantize_multiplier_rounding_overflow() -> None:
    # q just below 1 rounds to 2^31: halve it and bump the shift.
    m = 1.0 - 2**-40
    assert qmath.quantize_multiplier(m) == (1 << 30, 1)
    assert qmath.quantize_multiplier(0.0) == (0, 0)
    assert qmath.quantize_multiplier(2.0**-40) == (0, 0)


@settings(max_examples=300)
@given(int32s.filter(lambda v: abs(v) < 2**24), st.floats(1e-4, 0.99))
def test_mbqm_close_to_real_product(x: int, m: float) -> None:
    mult, shift = qmath.quantize_multiplier(m)
    got = int(qmath.multiply_by_quantized_multiplier(x, mult, shift))
    assert abs(got - x * m) <= 1.0 + abs(x) * m * 2**-29


@given(st.floats(-100, 0), st.floats(0, 100))
def test_choose_qparams_represents_zero(lo: float, hi: float) -> None:
    scale, zp = qmath.choose_qparams(lo, hi)
    assert -128 <= zp <= 127 and scale > 0
    q0 = qmath.quantize(0.0, scale, zp, -128, 127)
    assert float(qmath.dequantize(q0, scale, zp)) == 0.0


def test_round_half_away() -> None:
    assert qmath.round_half_away([0.5, 1.5, 2.5, -0.5, -2.5]).tolist() == [1, 2, 3, -1, -3]


def test_per_axis_quantize_roundtrip() -> None:
    w = np.random.default_rng(0).standard_normal((4, 3, 3, 2)).astype(np.float32)
    scale = qmath.symmetric_scale(np.abs(w).reshape(4, -1).max(axis=1))
    q = qmath.quantize(w, scale, np.zeros(4), -127, 127, axis=0)
    assert q.min() >= -127 and q.max() <= 127
    back = qmath.dequantize(q, scale, np.zeros(4, np.int64), axis=0)
    assert np.all(np.abs(back - w) <= scale.reshape(4, 1, 1, 1) / 2 + 1e-7)
