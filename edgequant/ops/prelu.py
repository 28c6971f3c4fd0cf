"""PRELU: x >= 0 ? x : x * alpha, alpha broadcast against x (tflite/kernels/activations.cc
PreluEval, reference path BroadcastBinaryFunction4DSlow). Note ``>= 0``, so -0.0 passes
through unscaled. The output must keep the input's shape: alpha may only broadcast into it.

Avoids np.where, whose data-dependent selection is 4x slower on activations with random signs
(measured), with arithmetic that gives the reference's value (up to the sign of a zero):

* all alphas finite, nonzero and <= 1: max(x, alpha * x), two passes (alpha <= 1 makes
  alpha * x <= x for x >= 0 and >= x for x < 0, and max returns one operand unchanged); all
  finite and >= 1: min(x, alpha * x). Alpha 0 is excluded: inf * 0 is NaN, which max picks.
* other finite alphas: min(x, 0) * alpha + max(x, 0), exactly one term nonzero.
* an alpha with inf or NaN: np.where.

Alpha is tiled once along the trailing axes (cached), so the multiply runs over whole rows
rather than C elements at a time.

Integer (reference_ops::Prelu / BroadcastPrelu4DSlow): int8 input with int8 alpha, or int16
input with int8 alpha (16x8). x - zp_in >= 0 is rescaled by float32(s_in / s_out); otherwise
(x - zp_in) * (alpha - zp_alpha) by float32(s_in * s_alpha) / s_out, both through
QuantizeMultiplier and MultiplyByQuantizedMultiplier, then zp_out is added and the result
clamped. Alpha is read with its per-tensor scale and zero point (a per-axis alpha is refused).
The TF converter quantizes a constant alpha as a weight: int8, symmetric, narrow range, per
tensor (tfl_ops.td PReluOp ``AffineOpCoefficient<-1, 1>``). No zero-point requirement in
int16. XNNPACK takes only float PRELU, so every profile runs this kernel.
"""

from __future__ import annotations

import numpy as np

from ..dtypes import qrange
from ..ir import Operator
from ..qmath import multiply_by_quantized_multiplier as mbqm
from ..qmath import quantize_multiplier
from ._base import Const, Example, OpContext, randn
from ._conv import derived, scratch
from ._intexamples import q_example, rand_scale
from ._intparams import cached, io_types, per_tensor
from ._lut import every_code
from ._rules import ACT, WEIGHT, Quant

OP = "PRELU"
OPTIONS = None


def _check(op: Operator, act_dtype: str) -> str | None:
    alpha = op.inputs[1] if len(op.inputs) > 1 else None
    if alpha is None or alpha.data is None:
        return "alpha is a run-time tensor; only a constant alpha is quantized (as a weight)"
    return None


# Alpha: a per-tensor int8 weight (in 16x8 too: the int16 kernel reads an int8 alpha).
QUANT = Quant(inputs=(ACT, WEIGHT), weight_axis=None, check=_check)


def _row_alpha(ctx: OpContext, shape: tuple[int, ...], alpha: np.ndarray
               ) -> tuple[np.ndarray, str]:
    """Alpha broadcast over x's trailing axes and flattened, [row]; x is viewed as
    [-1, row]. Alpha must not vary along the leading axes, so the row covers every axis from
    the first where alpha has a size > 1, and at least the last two (W and C for NHWC).
    Also which formula the alphas allow (see the module docstring)."""
    def build() -> tuple[np.ndarray, str]:
        full = np.asarray(alpha, np.float32).reshape((1,) * (len(shape) - alpha.ndim)
                                                     + alpha.shape)
        first = next((i for i, d in enumerate(full.shape) if d != 1), len(shape))
        r0 = max(0, min(first, len(shape) - 2))
        row = np.ascontiguousarray(np.broadcast_to(full[(0,) * r0], shape[r0:])).reshape(-1)
        if not np.isfinite(row).all():
            return row, "where"
        if np.all(row <= 1) and np.all(row != 0):
            return row, "max"
        if np.all(row >= 1):
            return row, "min"
        return row, "split"
    return derived(ctx, "alpha", alpha, build, shape)


def run_float(ctx: OpContext, x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    shape = np.broadcast_shapes(x.shape, alpha.shape)
    if shape != x.shape:
        raise ValueError(f"alpha {list(alpha.shape)} must broadcast into the input "
                         f"{list(x.shape)} (PRELU keeps the input shape)")
    x = np.asarray(x, dtype=np.float32)
    row, how = _row_alpha(ctx, x.shape, alpha)
    with np.errstate(over="ignore", invalid="ignore"):  # inf * alpha, 3e38 * 2: as in C
        if how == "where" or x.size == 0:
            return np.where(x >= 0, x, x * alpha).astype(np.float32, copy=False)
        xv = x.reshape(-1, row.size)
        if how == "split":
            out = np.minimum(xv, np.float32(0))
            out *= row
            pos = scratch(ctx.state, "pos", xv.shape)
            np.maximum(xv, np.float32(0), out=pos)
            out += pos
        else:
            out = np.multiply(xv, row)
            (np.maximum if how == "max" else np.minimum)(out, xv, out=out)
    return out.reshape(x.shape)


def _prepare(ctx: OpContext) -> dict:
    t, _ = io_types(ctx, OP, ("int8", "int16"))
    a = ctx.op.inputs[1]
    if a.dtype != "int8":
        raise TypeError(f"{OP}: a quantized {t} input needs an int8 alpha, got {a.dtype}")
    s_in, zp_in = per_tensor(ctx.op.inputs[0], OP, "input")
    s_a, zp_a = per_tensor(a, OP, "alpha")
    s_out, zp_out = per_tensor(ctx.op.outputs[0], OP, "output")
    m1 = quantize_multiplier(float(s_in / s_out))
    m2 = quantize_multiplier(float(s_in * s_a / s_out))
    lo, hi = qrange(t)

    def kernel(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        v = np.asarray(x, dtype=np.int64) - zp_in
        neg = mbqm(v * (np.asarray(alpha, dtype=np.int64) - zp_a), *m2)
        return np.clip(np.where(v >= 0, mbqm(v, *m1), neg) + zp_out, lo, hi)

    st = {"dtype": np.dtype(t), "kernel": kernel, "table": None}
    if t == "int8":
        # Every (x, alpha) pair of codes, indexed by their unsigned views: a lookup instead of
        # two fixed-point multiplies per element.
        codes = np.roll(np.arange(-128, 128), -128)
        st["table"] = kernel(codes[:, None], codes[None, :]).astype(np.int8).ravel()
    return st


def run_int(ctx: OpContext, x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    if np.broadcast_shapes(x.shape, alpha.shape) != x.shape:
        raise ValueError(f"{OP}: alpha {list(alpha.shape)} must broadcast into the input "
                         f"{list(x.shape)} (PRELU keeps the input shape)")
    st = cached(ctx, lambda: _prepare(ctx))
    if st["table"] is None:
        return st["kernel"](x, alpha).astype(st["dtype"])
    index = np.left_shift(np.asarray(x).view(np.uint8), 8, dtype=np.uint16)
    index |= np.asarray(alpha).view(np.uint8)
    return np.take(st["table"], index)


def version(op: Operator) -> int:
    # op_version.cc has no case for PRELU: every type is version 1.
    return 1


EXAMPLES = [
    # The Keras layout: one alpha per channel, shared over the spatial axes.
    lambda rng: Example([randn(rng, 1, 5, 5, 4), Const(randn(rng, 1, 1, 4, scale=0.3))], {},
                        "per-channel alpha"),
    lambda rng: Example([randn(rng, 2, 3, 6), Const(randn(rng, 3, 6, scale=0.3))], {},
                        "alpha over all but batch"),
    lambda rng: Example([randn(rng, 1, 4, 4, 3), Const(randn(rng, 1, 4, 4, 3))], {},
                        "same shape"),
    lambda rng: Example([randn(rng, 2, int(rng.integers(2, 6)), 5), randn(rng, 5, scale=0.5)],
                        {}, "runtime alpha"),
    # Special values: -0.0 passes unscaled, inf/NaN inputs, a zero alpha.
    Example([np.array([[-0.0, 0.0, np.inf, -np.inf, np.nan, -2.0, 3.0, -1e-40]], np.float32),
             Const(np.array([0.5, 0.0, 0.5, 0.25, 0.5, 0.0, 0.5, 0.5], np.float32))], {},
            "special values"),
    lambda rng: Example([randn(rng, 2, 3, 4), Const(np.array([np.inf, 0.5, -np.inf, 1.0],
                                                               np.float32))],
                        {}, "non-finite alpha"),
    # The three arithmetic forms: all alpha <= 1 (max), all >= 1 (min), mixed (split).
    lambda rng: Example([randn(rng, 1, 3, 4, 3, scale=2.0),
                         Const(np.array([[[-1.5, 0.25, 1.0]]], np.float32))], {}, "alpha <= 1"),
    lambda rng: Example([randn(rng, 1, 3, 4, 3, scale=2.0),
                         Const(np.array([[[1.0, 2.5, 1.25]]], np.float32))], {}, "alpha >= 1"),
    Example([np.array([[3e38, -3e38, np.inf, -np.inf, np.nan, -0.0, 2.0, -2.0]], np.float32),
             Const(np.array([-2.0, 3.0, -0.5, 0.5, 0.5, 2.0, 1.5, -4.0], np.float32))], {},
            "mixed alpha, overflow"),
]


def _q_prelu(rng: np.random.Generator, dtype: str, name: str, alpha_shape: tuple[int, ...],
             const: bool = True) -> Example:
    """A quantized PRELU example: a symmetric int8 alpha (as the converter quantizes it) or a
    run-time asymmetric one."""
    x_shape = (int(rng.integers(2, 4)), 3, 4, 5)
    ex = q_example(rng, dtype, name, shape=x_shape)
    if const:
        alpha = rng.integers(-127, 128, alpha_shape).astype(np.int8)
        q_alpha = (rand_scale(rng, 1e-3, 0.05), 0)
    else:
        alpha = rng.integers(-128, 128, alpha_shape).astype(np.int8)
        q_alpha = (rand_scale(rng, 1e-3, 0.05), int(rng.integers(-20, 21)))
    ex.inputs.append(Const(alpha) if const else alpha)
    ex.quant["in1"] = q_alpha
    return ex


# Integer kernel: int8, and int16 with an int8 alpha; per-channel, full-shape and run-time
# alphas; batch > 1; exact ties with s_in = 0.5, s_alpha = 0.25, s_out = 1.
EXAMPLES += [
    lambda rng: _q_prelu(rng, "int8", "int8 per-channel alpha", (5,)),
    lambda rng: _q_prelu(rng, "int8", "int8 alpha over H, W, C", (3, 4, 5)),
    lambda rng: _q_prelu(rng, "int8", "int8 run-time alpha", (1, 1, 5), const=False),
    lambda rng: _q_prelu(rng, "int16", "int16 per-channel alpha", (1, 1, 5)),
    lambda rng: _q_prelu(rng, "int16", "int16 same-shape alpha", (1, 3, 4, 5)),
    Example([every_code("int8", (2, 8, 16)),
             Const(np.array([-127, -64, -3, 0, 1, 2, 5, 64, 100, 127, -1, -2, 3, 4, 6, 7],
                            np.int8))], {}, "int8 ties",
            quant={"in0": (0.5, 3), "in1": (0.25, 0), "out0": (1.0, -4)}),
]
