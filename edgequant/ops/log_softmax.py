"""LOG_SOFTMAX over the last axis: (x - max) - log(sum(exp(x - max)))
(tflite/kernels/activations.cc LogSoftmaxEval, reference/log_softmax.h). No beta option.

Integer (int8 only; reference_integer_ops::LogSoftmax): the differences to the row maximum in
Q5.26 (PreprocessLogSoftmaxScalingExp with beta 1), gemmlowp's fixed-point exp summed in Q12.19,
LiteRT's fixed-point log of the sum, and (diff - log sum) rounded to Q4 with zero point 127;
entries whose difference falls below max(diff_min - 1, -log sum rescaled) give -128. The output
must be quantized (16/256, 127) exactly. LiteRT aborts for an input scale whose reverse scaling
rounds to 1 (s_in = 2^-25); we refuse.

The default resolver's kernel ('optimized' and 'xnnpack' profiles; XNNPACK takes only float)
uses a float table instead: expf(-s_in * d), a float32 sum, logf, and
rint((s_in * (x - max) - log sum) / s_out) + 127 (optimized_ops::LogSoftmax); we evaluate logf
as a float64 log rounded to float32.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext, randn
from ._intexamples import q_example
from ._intparams import cached, io_params, io_types
from ._intsoftmax import (
    log_softmax_int8_reference,
    log_softmax_optimized,
    log_softmax_scaling,
    softmax_float_table,
)
from ._lut import every_code
from ._nn import activation_version
from ._rules import ACT, FIXED, Quant

OP = "LOG_SOFTMAX"
OPTIONS = "LogSoftmaxOptions"
QUANT = Quant(inputs=(ACT,), outputs=FIXED, int16=False, fixed={"int8": (16 / 256, 127)})


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 0:
        raise ValueError("LOG_SOFTMAX needs an input of rank >= 1")
    shifted = x - x.max(axis=-1, keepdims=True)
    log_sum = np.log(np.exp(shifted).sum(axis=-1, keepdims=True, dtype=np.float32))
    return shifted - log_sum


def _prepare(ctx: OpContext) -> dict:
    io_types(ctx, OP, ("int8",))
    s_in, _, s_out, zp_out = io_params(ctx, OP, "int8")
    if s_out != np.float32(16 / 256) or zp_out != 127:
        raise ValueError(f"{OP}: int8 output must be quantized (16/256, 127), got "
                         f"({s_out}, {zp_out})")
    if ctx.runner.profile != "reference":
        return {"kind": "optimized", "table": softmax_float_table(s_in, np.float32(1)),
                "s_in": s_in, "s_out": s_out, "zp_out": zp_out}
    return {"kind": "reference", **log_softmax_scaling(OP, float(s_in))}


def run_int(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    if x.ndim == 0:
        raise ValueError(f"{OP} needs an input of rank >= 1")
    st = cached(ctx, lambda: _prepare(ctx))
    if st["kind"] == "optimized":
        out = log_softmax_optimized(x, st["table"], st["s_in"], st["s_out"], st["zp_out"])
    else:
        out = log_softmax_int8_reference(x, st)
    return out.astype(np.int8)


def version(op: Operator) -> int:
    # op_version.cc: int8 -> 2 (no int16 kernel).
    return activation_version(op, int16=1, int8=2)


EXAMPLES = [
    lambda rng: Example([randn(rng, 2, 10, scale=3.0)], {}, "2-D"),
    lambda rng: Example([randn(rng, 1, 3, 4, int(rng.integers(2, 20)), scale=2.0)], {},
                        "4-D random depth"),
    lambda rng: Example([randn(rng, 6, scale=2.0)], {}, "1-D"),
    lambda rng: Example([randn(rng, 3, 7, scale=20.0)], {}, "wide range"),
]


def _q_log_softmax(rng: np.random.Generator, name: str, depth: int | None = None) -> Example:
    depth = depth or int(rng.integers(2, 40))
    shape = (int(rng.integers(2, 4)), int(rng.integers(1, 4)), depth)
    x = (rng.integers(-128, 128, shape) // int(rng.choice([1, 4, 16]))).astype(np.int8)
    return q_example(rng, "int8", name, x=x, q_out=(16 / 256, 127), in_range=(1e-3, 1.0))


# Integer kernel (int8 only): random scales, batch > 1, long rows, a dyadic input scale.
EXAMPLES += [
    lambda rng: _q_log_softmax(rng, "int8"),
    lambda rng: _q_log_softmax(rng, "int8 long rows", depth=1000),
    lambda rng: _q_log_softmax(rng, "int8 single entry", depth=1),
    Example([every_code("int8", (8, 32))], {}, "int8 dyadic",
            quant={"in0": (0.125, -5), "out0": (16 / 256, 127)}),
]
