"""SOFTMAX over the last axis: exp((x - max) * beta) / sum (tflite/kernels/activations.cc
SoftmaxEval, reference/softmax.h). beta multiplies after the max is subtracted, in float32;
the schema default beta is 0.0 (a uniform output); converters write the model's beta,
normally 1.0.

Integer, as the reference resolver runs it (activations.cc SoftmaxPrepare<kReference>):

* int8 input, int8 or int16 output (reference_ops::Softmax): the differences to the row maximum
  are rescaled to Q5.26 by beta * s_in (PreprocessSoftmaxScaling; differences below
  -CalculateInputRadius give the minimum output), exponentiated with gemmlowp's fixed-point exp,
  summed in Q12.19 and divided through a fixed-point reciprocal. The output is implicitly
  scale 2^-bits with zero point at the type's minimum: int8 output must be declared (1/256,
  -128) (scale within 0.1%); an int16 output of an int8 input is not checked and comes out as
  (1/65536, -32768). beta * s_in must exceed 2^-26, and with an int8 output each row's
  exponentials (1 at the maximum) must sum to less than 512: LiteRT's TFLITE_CHECKs abort the
  process otherwise (measured for the second); we raise ValueError instead.
* int16 (reference_ops::SoftmaxInt16): zero points 0 and output scale 1/32768 (within 0.1%);
  differences rescaled by float32(s_in * beta) / (10 / 65535) into an exp table on [-10, 0], the
  sum inverted through a 1 / (1 + x) table (both 513-entry interpolated tables).

The default resolver's int8 kernel differs ('optimized' and 'xnnpack' profiles; XNNPACK takes
only float SOFTMAX): a 256-entry float table of expf(-s_in * beta * d), a float32 sum and
round-half-away of e / (sum * s_out), plus the declared output zero point
(optimized_ops::Softmax). int16 runs the same kernel under every resolver.
"""

from __future__ import annotations

import numpy as np

from ..dtypes import qrange
from ..ir import Operator
from ..qmath import quantize_multiplier
from ._base import Example, OpContext, randn
from ._intexamples import q_example
from ._intparams import cached, io_params, io_types
from ._intsoftmax import (
    softmax_float_table,
    softmax_int8_reference,
    softmax_int16,
    softmax_optimized,
    softmax_scaling,
)
from ._lut import every_code
from ._nn import activation_version
from ._rules import ACT, FIXED, Quant

OP = "SOFTMAX"
OPTIONS = "SoftmaxOptions"


def _check(op: Operator, act_dtype: str) -> str | None:
    beta = float(op.options.get("beta", 0.0))
    if act_dtype == "int8" and not beta > 0:
        return f"beta {beta} must be positive for LiteRT's int8 kernel (it aborts otherwise)"
    return None


# An int8 input may also feed an int16 output (the kernel's implied (1/65536, -32768)); the
# planner's int16 scheme is int16 in and out.
QUANT = Quant(inputs=(ACT,), outputs=FIXED, check=_check,
              fixed={"int8": (1 / 256, -128), "int16": (1 / 32768, 0)})


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    dt = x.dtype  # float16 (LiteRT has a half kernel) computes in float32, rounds back
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 0:
        raise ValueError("SOFTMAX needs an input of rank >= 1")
    beta = np.float32(ctx.options.get("beta", 1.0))
    e = np.exp((x - x.max(axis=-1, keepdims=True)) * beta)
    return (e / e.sum(axis=-1, keepdims=True, dtype=np.float32)).astype(dt, copy=False)


def _near(scale: np.float32, target: float) -> bool:
    # TF_LITE_ENSURE_NEAR in float: |scale - target| <= 0.001 * target.
    t = np.float32(target)
    return bool(abs(scale - t) <= np.float32(0.001) * t)


def _prepare(ctx: OpContext) -> dict:
    t_in, t_out = io_types(ctx, OP, ("int8", "int16"), same=False)
    allowed = {"int8": ("int8", "int16"), "int16": ("int16",)}[t_in]
    if t_out not in allowed:
        raise TypeError(f"{OP}: a {t_in} input needs output type {' or '.join(allowed)}, "
                        f"got {t_out}")
    s_in, _, s_out, zp_out = io_params(ctx, OP, t_in)
    beta = np.float32(ctx.options.get("beta", 0.0))
    if t_in == "int16":
        if not _near(s_out, 1 / 32768):
            raise ValueError(f"{OP}: int16 output scale must be 1/32768, got {s_out}")
        mult, shift = quantize_multiplier(float(s_in * beta) / (10.0 / 65535.0))
        return {"kind": "int16", "mult": mult, "shift": shift}
    if t_out == "int8" and (zp_out != -128 or not _near(s_out, 1 / 256)):
        raise ValueError(f"{OP}: int8 output must be quantized (1/256, -128), got "
                         f"({s_out}, {zp_out})")
    lo, hi = qrange(t_out)
    if ctx.runner.profile != "reference":
        return {"kind": "optimized", "table": softmax_float_table(s_in, beta),
                "s_out": s_out, "zp_out": zp_out, "lo": lo, "hi": hi, "dtype": t_out}
    mult, shift, diff_min = softmax_scaling(OP, float(beta), float(s_in))
    return {"kind": "int8", "mult": mult, "shift": shift, "diff_min": diff_min,
            "bits": 16 if t_out == "int16" else 8, "dtype": t_out}


def run_int(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    if x.ndim == 0:
        raise ValueError(f"{OP} needs an input of rank >= 1")
    st = cached(ctx, lambda: _prepare(ctx))
    if st["kind"] == "int16":
        return softmax_int16(x, st["mult"], st["shift"]).astype(np.int16)
    if st["kind"] == "optimized":
        out = softmax_optimized(x, st["table"], st["s_out"], st["zp_out"], st["lo"],
                                     st["hi"])
    else:
        out = softmax_int8_reference(x, st["mult"], st["shift"], st["diff_min"],
                                          st["bits"])
    return out.astype(st["dtype"])


def version(op: Operator) -> int:
    # op_version.cc: float16 -> 4 (BUILTIN_REF max 3), int16 -> 3, int8 -> 2.
    if op.inputs and op.inputs[0] is not None and op.inputs[0].dtype == "float16":
        return 3
    return activation_version(op, int16=3, int8=2)


EXAMPLES = [
    lambda rng: Example([randn(rng, 2, 10, scale=3.0)], {"beta": 1.0}, "2-D"),
    lambda rng: Example([randn(rng, 1, 3, 4, int(rng.integers(2, 20)), scale=2.0)],
                        {"beta": float(rng.uniform(0.2, 3.0))}, "4-D random beta"),
    lambda rng: Example([randn(rng, 5, scale=2.0)], {"beta": 1.0}, "1-D"),
    lambda rng: Example([randn(rng, 3, 7, scale=20.0)], {"beta": 0.5}, "wide range"),
]


def _q_softmax(rng: np.random.Generator, dtype: str, name: str, beta: float,
               depth: int | None = None, out_dtype: str = "") -> Example:
    """Rows of codes spread over part of the range so that several entries matter."""
    depth = depth or int(rng.integers(2, 40))
    shape = (int(rng.integers(2, 4)), int(rng.integers(1, 4)), depth)
    lo, hi = qrange(dtype)
    x = (rng.integers(lo, hi + 1, shape) // int(rng.choice([1, 4, 16]))).astype(dtype)
    out_dtype = out_dtype or dtype
    q_out = {"int8": (1 / 256, -128), "int16": (1 / 32768, 0)}[out_dtype]
    if dtype == "int8" and out_dtype == "int16":
        q_out = (1 / 65536, -32768)
    in_range = (1e-3, 0.2) if dtype == "int8" else (1e-5, 1e-3)
    return q_example(rng, dtype, name, {"beta": beta}, x=x, q_out=q_out,
                          out_dtype=out_dtype, in_range=in_range)


# Integer kernel: int8, int8 -> int16 and int16, random scales and betas, batch > 1, long
# rows; a dyadic input scale.
EXAMPLES += [
    lambda rng: _q_softmax(rng, "int8", "int8", 1.0),
    lambda rng: _q_softmax(rng, "int8", "int8 random beta", float(rng.uniform(0.2, 3.0))),
    lambda rng: _q_softmax(rng, "int8", "int8 long rows", 1.0, depth=400),
    lambda rng: _q_softmax(rng, "int8", "int8 to int16", float(rng.uniform(0.5, 2.0)),
                           out_dtype="int16"),
    lambda rng: _q_softmax(rng, "int16", "int16", 1.0),
    lambda rng: _q_softmax(rng, "int16", "int16 random beta", float(rng.uniform(0.2, 3.0)),
                           depth=300),
    Example([every_code("int8", (8, 32))], {"beta": 1.0}, "int8 dyadic",
            quant={"in0": (0.0625, 0), "out0": (1 / 256, -128)}),
]
