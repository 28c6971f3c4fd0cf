"""LOGISTIC: sigmoid, as tflite/kernels/internal/reference/logistic.h computes it in float:
1 above x = 16.619..., exp(x) below x = -9, else 1 / (1 + exp(-x)). The upper cutoff is where
the sigmoid rounds to 1 in float32 anyway, but the lower one is an approximation: just below
-9, exp(x) is about 1.2e-4 (relative) above the true sigmoid. We reproduce it.

Integer (activations.cc SigmoidPrepare/SigmoidEval; the reference resolver takes the same
branches as the default one for int8):

* int8: a 256-entry table (LUTPopulate) of 1.0f / (1.0f + expf(-x)) over the dequantized
  codes, built with the C library's expf. The output scale must be exactly 1/256; the zero
  point is not checked and enters the table (-128 by convention).
* int16: reference_integer_ops::Logistic, a fixed-point interpolation of a 256-entry sigmoid
  table; input and output zero points 0, output scale exactly 1/32768. An input scale of
  exactly 2^-12 uses multiplier 3, any other scale a multiplier rescaling to 1/(3 * 4096).

Other resolvers: XNNPACK takes int8 LOGISTIC ('xnnpack' profile) with its own table: the
sigmoid in double (exp(x) / (1 + exp(x))), requantized with nearbyint (ties to even)
(XNNPACK unary-elementwise-nc.c init_lut_op_with_config). int16 is never delegated; the
default kernel matches the reference except for an input scale of exactly 2^-12, where it runs
gemmlowp's int16 fixed-point logistic instead ('optimized' and 'xnnpack' profiles; up to 7 LSB
from the reference, measured).
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext, randn
from ._fixedpoint import logistic_int16_gemmlowp
from ._intactivations import logistic_int16, sigmoid_f32, sigmoid_tanh_int16_prepare, sigmoid_xnn
from ._intexamples import q_example
from ._intparams import io_params, io_types
from ._lut import code_table, every_code, lut_int8, run_table, xnn_lut_int8
from ._nn import activation_version
from ._rules import ACT, FIXED, Quant

OP = "LOGISTIC"
OPTIONS = None
QUANT = Quant(inputs=(ACT,), outputs=FIXED,
              fixed={"int8": (1 / 256, -128), "int16": (1 / 32768, 0)})

_UPPER = np.float32(16.619047164916992188)
_LOWER = np.float32(-9.0)


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    dt = x.dtype  # float16 (LiteRT has a half kernel) computes in float32, rounds back
    x = np.asarray(x, dtype=np.float32)
    one = np.float32(1)
    with np.errstate(over="ignore"):
        out = one / (one + np.exp(-x))
    out = np.where(x < _LOWER, np.exp(np.minimum(x, _LOWER)), out)
    return np.where(x > _UPPER, one, out).astype(dt, copy=False)


def _prepare(ctx: OpContext) -> dict:
    t, _ = io_types(ctx, OP, ("int8", "int16"))
    s_in, zp_in, s_out, zp_out = io_params(ctx, OP, t)
    if t == "int16":
        if s_out != np.float32(1 / 32768):
            raise ValueError(f"{OP}: int16 output scale must be exactly 1/32768, got {s_out}")
        mult, shift = sigmoid_tanh_int16_prepare(OP, s_in, (0,))
        if mult == 0 and ctx.runner.profile != "reference":
            return {"table": code_table(t, logistic_int16_gemmlowp)}
        return {"table": code_table(t, lambda c: logistic_int16(c, mult, shift))}
    if s_out != np.float32(1 / 256):
        raise ValueError(f"{OP}: int8 output scale must be exactly 1/256, got {s_out}")
    if ctx.runner.profile == "xnnpack":
        table = xnn_lut_int8(sigmoid_xnn, s_in, zp_in, s_out, zp_out)
    else:
        table = lut_int8(sigmoid_f32, s_in, zp_in, s_out, zp_out)
    return {"table": code_table(t, lambda c: table[c + 128])}


def run_int(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    # int16 too: the fixed-point kernel is evaluated once per code and looked up.
    return run_table(ctx, x, _prepare)


def version(op: Operator) -> int:
    # op_version.cc: int16 in and out -> 3, int8 -> 2.
    return activation_version(op, int16=3, int8=2, int16_needs_out=True)


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 4, 3, scale=3.0)], {}, "4-D"),
    lambda rng: Example([randn(rng, int(rng.integers(2, 9)), int(rng.integers(1, 17)),
                               scale=4.0)], {}, "2-D random shape"),
    # Both cutoffs and the regions beyond them.
    lambda rng: Example([np.concatenate([np.linspace(-30, 30, 61, dtype=np.float32),
                                         np.array([-9, 16.619047, 16.62], np.float32),
                                         randn(rng, 16, scale=12.0)])], {}, "cutoffs"),
]

# Integer kernel: int8 (table) and int16 (fixed point) over every code, random input scales,
# batch > 1; the int16 power-of-two scale 2^-12 (multiplier 3) and a dyadic non-matching one.
EXAMPLES += [
    lambda rng: q_example(rng, "int8", "int8", q_out=(1 / 256, -128), in_range=(1e-3, 0.2)),
    lambda rng: q_example(rng, "int8", "int8 every code", x=every_code("int8", (2, 128)),
                               q_out=(1 / 256, -128), in_range=(1e-3, 0.2)),
    lambda rng: q_example(rng, "int16", "int16", q_out=(1 / 32768, 0),
                               in_range=(1e-5, 1e-3)),
    Example([every_code("int16", (4, 128, 128))], {}, "int16 scale 2^-12",
            quant={"in0": (2.0**-12, 0), "out0": (1 / 32768, 0)}),
    Example([every_code("int16", (4, 128, 128))], {}, "int16 scale 2^-10",
            quant={"in0": (2.0**-10, 0), "out0": (1 / 32768, 0)}),
    Example([every_code("int8", (2, 4, 32))], {}, "int8 dyadic",
            quant={"in0": (0.0625, 0), "out0": (1 / 256, -128)}),
]
