"""TANH: std::tanh in float (tflite/kernels/activations.cc TanhEval, reference_ops::Tanh).

Integer (TanhPrepare/TanhEval; the reference resolver takes the same branches as the default
one for int8):

* int8: a 256-entry table (LUTPopulate) of tanhf over the dequantized codes, built with the C
  library's tanhf. No check on the output parameters (1/128 and 0 by convention).
* int16: reference_integer_ops::Tanh, a fixed-point interpolation of the sigmoid table
  (tanh(x) = 2 sigmoid(2x) - 1); zero points 0 and an output scale within 0.1% (in log2) of
  2^-15. Input scales 2^-12 and 2^-11 use multipliers 3 and 6, any other scale a multiplier
  rescaling to 1/(3 * 4096).

Other resolvers: XNNPACK takes int8 TANH ('xnnpack' profile): the same tanhf, requantized with
nearbyint (ties to even) instead of rounding half away. int16 is never delegated; the default
kernel matches the reference except for input scales 2^-12 and 2^-11, where it runs gemmlowp's
int16 fixed-point tanh ('optimized' and 'xnnpack' profiles; up to 12 LSB from the reference,
measured).
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext, randn
from ._fixedpoint import tanh_int16_gemmlowp
from ._intactivations import sigmoid_tanh_int16_prepare, tanh_f32, tanh_int16
from ._intexamples import q_example
from ._intparams import checked_log2, io_params, io_types
from ._lut import code_table, every_code, lut_int8, run_table, xnn_lut_int8
from ._nn import activation_version
from ._rules import ACT, FIXED, Quant

OP = "TANH"
OPTIONS = None
QUANT = Quant(inputs=(ACT,), outputs=FIXED,
              fixed={"int8": (1 / 128, 0), "int16": (1 / 32768, 0)})


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    # float16 inputs (LiteRT has a half kernel) compute in float32 and round back.
    return np.tanh(np.asarray(x, dtype=np.float32)).astype(x.dtype, copy=False)


def _prepare(ctx: OpContext) -> dict:
    t, _ = io_types(ctx, OP, ("int8", "int16"))
    s_in, zp_in, s_out, zp_out = io_params(ctx, OP, t)
    if t == "int16":
        pot, log2 = checked_log2(s_out)
        if not pot or log2 != -15:
            raise ValueError(f"{OP}: int16 output scale must be 2^-15, got {s_out}")
        mult, shift = sigmoid_tanh_int16_prepare(OP, s_in, (0, 1))
        if mult == 0 and ctx.runner.profile != "reference":
            return {"table": code_table(t, lambda c: tanh_int16_gemmlowp(c, shift))}
        return {"table": code_table(t, lambda c: tanh_int16(c, mult, shift))}
    build = xnn_lut_int8 if ctx.runner.profile == "xnnpack" else lut_int8
    table = build(tanh_f32, s_in, zp_in, s_out, zp_out)
    return {"table": code_table(t, lambda c: table[c + 128])}


def run_int(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    # int16 too: the fixed-point kernel is evaluated once per code and looked up.
    return run_table(ctx, x, _prepare)


def version(op: Operator) -> int:
    # op_version.cc (shared case with LOGISTIC): int16 in and out -> 3, int8 -> 2.
    return activation_version(op, int16=3, int8=2, int16_needs_out=True)


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 4, 3, scale=2.0)], {}, "4-D"),
    lambda rng: Example([randn(rng, int(rng.integers(2, 9)), int(rng.integers(1, 17)),
                               scale=3.0)], {}, "2-D random shape"),
    lambda rng: Example([np.linspace(-12, 12, 97, dtype=np.float32)], {}, "saturation"),
]

# Integer kernel: int8 (table) and int16 (fixed point), random input scales, batch > 1; int8
# with an unconventional output (ties at saturation: +-1 / 2.0); the int16 power-of-two scales
# 2^-12 and 2^-11 (multipliers 3 and 6) and a non-matching one.
EXAMPLES += [
    lambda rng: q_example(rng, "int8", "int8", q_out=(1 / 128, 0), in_range=(1e-3, 0.2)),
    lambda rng: q_example(rng, "int8", "int8 every code", x=every_code("int8", (2, 128)),
                               q_out=(1 / 128, 0), in_range=(1e-3, 0.2)),
    lambda rng: q_example(rng, "int16", "int16", q_out=(1 / 32768, 0),
                               in_range=(1e-5, 1e-3)),
    Example([every_code("int8", (2, 4, 32))], {}, "int8 output ties",
            quant={"in0": (0.25, 5), "out0": (2.0, 3)}),
    Example([every_code("int16", (4, 128, 128))], {}, "int16 scale 2^-12",
            quant={"in0": (2.0**-12, 0), "out0": (1 / 32768, 0)}),
    Example([every_code("int16", (4, 128, 128))], {}, "int16 scale 2^-11",
            quant={"in0": (2.0**-11, 0), "out0": (1 / 32768, 0)}),
    Example([every_code("int16", (4, 128, 128))], {}, "int16 scale 2^-9",
            quant={"in0": (2.0**-9, 0), "out0": (1 / 32768, 0)}),
]
