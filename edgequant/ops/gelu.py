"""GELU (tflite/kernels/activations.cc GeluEval, tflite/kernels/internal/reference/gelu.h).

Exact form: 0.5 * x * erfc(x * -sqrt(1/2)). LiteRT uses erfc rather than 1 + erf(x / sqrt 2)
so that large negative inputs do not cancel to zero; we do the same. Approximate form
(``approximate=True``): 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))), with the
constants and x^3 rounded to float32 as Eigen evaluates them.

LiteRT evaluates erfc and tanh with Eigen's float approximations; ours are float64 rounded to
float32, so results are close but not bit-identical. Exact form: within 10 ULP (measured).
Approximate form: Eigen's fast tanh returns exactly -1 once its argument passes about -7.907,
so for x in roughly [-5, -4] LiteRT's 1 + tanh loses its last digits; the difference there
reaches 1e-6 absolute on outputs of about 1e-6 (0.7 of the test's atol).
"""

from __future__ import annotations

import math

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext, randn
from ._nn import activation_version, erfc

OP = "GELU"
OPTIONS = "GeluOptions"

_SQRT_HALF = np.float32(-math.sqrt(0.5))
_SQRT_2_OVER_PI = np.float32(math.sqrt(2.0 / math.pi))
_C = np.float32(0.044715)
_HALF = np.float32(0.5)


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    dt = x.dtype  # float16 (LiteRT has a half kernel) computes in float32, rounds back
    x = np.asarray(x, dtype=np.float32)
    # x^3 overflows (and inf * 0 appears) for |x| > ~1e12 exactly as in LiteRT's float math.
    with np.errstate(over="ignore", invalid="ignore"):
        if ctx.options.get("approximate", False):
            inner = _SQRT_2_OVER_PI * (x + _C * (x * x * x))
            out = _HALF * x * (np.float32(1) + np.tanh(inner))
        else:
            out = _HALF * x * erfc(x * _SQRT_HALF).astype(np.float32)
    return out.astype(dt, copy=False)


def version(op: Operator) -> int:
    # op_version.cc: float16 -> 3 (not registered in BUILTIN_REF, max 2), int8/uint8 -> 2;
    # int16 stays at 1.
    if op.inputs and op.inputs[0] is not None and op.inputs[0].dtype == "float16":
        return 2
    return activation_version(op, int16=1, int8=2, uint8=True)


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 4, 3, scale=2.0)], {"approximate": False}, "exact"),
    lambda rng: Example([randn(rng, 1, 4, 4, 3, scale=2.0)], {"approximate": True},
                        "approximate"),
    lambda rng: Example([randn(rng, int(rng.integers(2, 9)), int(rng.integers(1, 33)),
                               scale=3.0)], {"approximate": bool(rng.integers(0, 2))},
                        "random shape"),
    lambda rng: Example([np.linspace(-10, 10, 201, dtype=np.float32)], {"approximate": False},
                        "exact tails"),
    lambda rng: Example([np.linspace(-10, 10, 201, dtype=np.float32)], {"approximate": True},
                        "approximate tails"),
]
