"""RANGE: [start, start + delta, ...) up to ``limit`` (tflite/kernels/range.cc).

Inputs are three scalars of one dtype: int32, int64 or float32. delta must be non-zero and
point from start towards limit. Size: ceil(|limit - start| / |delta|) in integer arithmetic
for ints, ceil(|(limit - start) / delta|) in float32 for floats. Values are accumulated
(value += delta), not start + i * delta, so float outputs carry that rounding.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext

OP = "RANGE"
OPTIONS = "RangeOptions"


def run_float(ctx: OpContext, start: np.ndarray, limit: np.ndarray, delta: np.ndarray
              ) -> np.ndarray:
    dt = np.asarray(start).dtype
    if dt.name not in ("int32", "int64", "float32"):
        raise TypeError(f"RANGE supports int32, int64 and float32, got {dt}")
    if np.asarray(limit).dtype != dt or np.asarray(delta).dtype != dt:
        raise TypeError("RANGE: start, limit and delta must share one dtype")
    if any(np.ndim(v) != 0 for v in (start, limit, delta)):
        raise ValueError("RANGE: start, limit and delta must be scalars")
    s, lim, d = (np.asarray(v, dt)[()] for v in (start, limit, delta))
    if d == 0 or not ((s >= lim and d < 0) or (s <= lim and d > 0)):
        raise ValueError(f"RANGE: delta {d} does not lead from {s} to {lim}")
    if dt.kind == "f":
        n = int(np.ceil(np.abs((lim - s) / d)))
    else:
        span, step = abs(int(lim) - int(s)), abs(int(d))
        n = (span + step - 1) // step
    steps = np.full(n, d, dt)
    if n:
        steps[0] = s
    # Running sum in the output dtype, one addition at a time, like the kernel's loop.
    return np.cumsum(steps, dtype=dt)


def version(op: Operator) -> int:
    # op_version.cc gives int64 v2, but BUILTIN_REF registers RANGE only at v1.
    return 1


def _i(v: int, dt: str = "int32") -> np.ndarray:
    return np.array(v, dt)


def _ints(rng: np.random.Generator, dt: str, name: str, runtime: bool = False) -> Example:
    s = int(rng.integers(-20, 20))
    d = int(rng.choice([-5, -3, -1, 1, 2, 7]))
    lim = s + d * int(rng.integers(1, 8)) + int(np.sign(d)) * int(rng.integers(0, abs(d)))
    vals = [_i(s, dt), _i(lim, dt), _i(d, dt)]
    return Example(vals if runtime else [Const(v) for v in vals], {}, name)


def _floats(rng: np.random.Generator, runtime: bool = False) -> Example:
    s = np.float32(rng.uniform(-5, 5))
    d = np.float32(rng.choice([-1, 1]) * rng.uniform(0.05, 0.7))
    lim = np.float32(s + d * rng.uniform(1, 40))
    vals = [np.array(v, np.float32) for v in (s, lim, d)]
    return Example(vals if runtime else [Const(v) for v in vals], {}, "float")


EXAMPLES = [
    lambda rng: _ints(rng, "int32", "int32 const"),
    lambda rng: _ints(rng, "int32", "int32 runtime", runtime=True),
    lambda rng: _floats(rng),
    lambda rng: _floats(rng, runtime=True),
    lambda rng: _ints(rng, "int64", "int64 runtime", runtime=True),
]
