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

Integer (GeluPrepare/GeluEval, one registration for every resolver): a table of the float
function built at prepare time with the C library's erfcf / tanhf (scalar float32, evaluated
left to right as reference/gelu.h writes it, not Eigen's vectorised forms): int8 a 256-entry
LUTPopulate table; int16 a 513-entry LUTPopulate<int16_t> table with linear interpolation
(LUTLookup). No constraint on the quantization parameters. XNNPACK takes only float GELU.
"""

from __future__ import annotations

import math

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext, randn
from ._intactivations import gelu_approximate_f32, gelu_f32
from ._intexamples import q_example
from ._intparams import io_params, io_types
from ._lut import code_table, every_code, lut_int8, lut_int16, lut_lookup_int16, run_table
from ._nn import activation_version, erfc
from ._rules import ELEMENTWISE

OP = "GELU"
OPTIONS = "GeluOptions"
QUANT = ELEMENTWISE

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


def _prepare(ctx: OpContext) -> dict:
    t, _ = io_types(ctx, OP, ("int8", "int16"))
    s_in, zp_in, s_out, zp_out = io_params(ctx, OP, t, int16_zero_points=False)
    fn = gelu_approximate_f32 if ctx.options.get("approximate", False) else gelu_f32
    if t == "int16":
        lut = lut_int16(fn, s_in, zp_in, s_out, zp_out)
        return {"table": code_table(t, lambda c: lut_lookup_int16(c, lut))}
    lut = lut_int8(fn, s_in, zp_in, s_out, zp_out)
    return {"table": code_table(t, lambda c: lut[c + 128])}


def run_int(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    # int16 too: the interpolation is evaluated once per code and looked up.
    return run_table(ctx, x, _prepare)


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

# Integer kernel: int8 (table) and int16 (interpolated table), exact and approximate forms,
# random scales, batch > 1; s_in = 0.5, s_out = 1 makes the large-x outputs (GELU(x) = x)
# exact rounding ties.
EXAMPLES += [
    lambda rng: q_example(rng, "int8", "int8", {"approximate": False}, in_range=(0.01, 0.1)),
    lambda rng: q_example(rng, "int8", "int8 approximate", {"approximate": True},
                               in_range=(0.01, 0.1)),
    lambda rng: q_example(rng, "int16", "int16", {"approximate": False},
                               in_range=(1e-4, 1e-3)),
    lambda rng: q_example(rng, "int16", "int16 approximate every code",
                               {"approximate": True}, x=every_code("int16", (2, 128, 256)),
                               in_range=(1e-4, 1e-3)),
    Example([every_code("int8", (2, 4, 32))], {"approximate": False}, "int8 ties",
            quant={"in0": (0.5, 0), "out0": (1.0, 0)}),
    Example([every_code("int16", (2, 128, 256))], {"approximate": False},
            "int16 asymmetric", quant={"in0": (0.0005, 100), "out0": (0.0004, -300)}),
]
