"""POW: elementwise a ** b with broadcasting (tflite/kernels/pow.cc).

float32 and int32; an int32 exponent tensor with a negative entry is refused at invoke.
Quirk (optimized_ops::BroadcastPow4D, used even by the reference resolver): when the shapes
differ and the exponent is a single value within 1e-5 of an integer n >= 1, LiteRT computes
a**n by repeated squaring (IntegerExponentPow), with each float product clamped to +-FLT_MAX.
So pow(-2, 2.000001) is 4 there, not NaN, and overflow saturates instead of giving inf.
Otherwise it is std::pow per element (int32 via double, truncated)."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext, randn
from ._elementwise import binary

OP = "POW"
OPTIONS = "PowOptions"

_FLT_MAX = np.float32(np.finfo(np.float32).max)


def _integer_pow(x: np.ndarray, n: int) -> np.ndarray:
    if n == 1:
        return x.copy()
    half = _integer_pow(x, n // 2)
    out = half * half
    if n % 2:
        out = x * out
    if out.dtype.kind == "f":
        # optimized_ops::Mul clamps to the (full-range) activation bounds after each product.
        out = np.clip(out, -_FLT_MAX, _FLT_MAX)
    return out


def _pow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    shape = np.broadcast_shapes(a.shape, b.shape)
    if a.shape != b.shape and b.size == 1:
        e = b.reshape(())[()]
        n = int(np.round(e)) if np.isfinite(e) else 0
        if n >= 1 and abs(e - b.dtype.type(n)) < np.float32(1e-5):
            return _integer_pow(a, n).reshape(shape)
    # std::pow(int, int) is computed in double, then truncated. For float32, glibc's powf
    # (also evaluated in double) agrees with a double pow rounded to float32 far more often
    # than NumPy's float32 loop does (measured: 0.07% vs 20% of values off by one ulp).
    return np.power(a.astype(np.float64), b.astype(np.float64)).astype(a.dtype)


def run_float(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if b.dtype == np.int32 and np.any(b < 0):
        raise ValueError("POW: LiteRT does not support negative int32 exponents")
    return binary(ctx, a, b, _pow, ("float32", "int32"))


def version(op) -> int:
    return 1


def _pos(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.uniform(0.1, 3.0, shape).astype(np.float32)


EXAMPLES = [
    lambda rng: Example([_pos(rng, 2, 3, 4), randn(rng, 2, 3, 4)], {}, "same shape"),
    lambda rng: Example([_pos(rng, 2, 1, 4), randn(rng, 3, 1)], {}, "broadcast"),
    # Scalar integer-valued exponent with broadcasting: repeated squaring, so negative bases
    # work and a near-integer exponent is rounded.
    lambda rng: Example([randn(rng, 3, 5, scale=3.0), np.array([3.000001], np.float32)], {},
                        "integer exponent path"),
    # Same shape: std::pow, so negative base with a fractional exponent is NaN, 0^-1 is inf.
    lambda rng: Example([np.array([-2, -2, 0, 0, 1e30, 2], np.float32),
                         np.array([0.5, 2, -1, 0, 2, 2], np.float32)], {}, "special values"),
    lambda rng: Example([rng.integers(-6, 7, (3, 4)).astype(np.int32),
                         rng.integers(0, 6, (3, 4)).astype(np.int32)], {}, "int32"),
    lambda rng: Example([rng.integers(-6, 7, (2, 3)).astype(np.int32),
                         np.array([5], np.int32)], {}, "int32 broadcast scalar"),
]
