"""L2_NORMALIZATION over the last axis: x / max(sqrt(sum(x^2)), 1e-6)
(tflite/kernels/l2norm.cc, reference_ops::L2Normalization). The epsilon is hard-coded in the
kernel (1e-6f, clamping the norm, not added to the sum of squares); a fused activation other
than NONE is rejected at Prepare.

Integer (int8 only; reference_integer_ops::L2Normalization, used by every resolver, XNNPACK
does not take it): the int32 sum of (x - zp)^2 per row, its inverse square root as a
multiplier and shift (Newton-Raphson in Q3.28; a sum of 0 or 1 gives multiplier INT32_MAX),
then MultiplyByQuantizedMultiplier of each x - zp into the fixed output (1/128, 0), which the
kernel checks exactly. No epsilon in the integer kernel.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Example, OpContext, randn
from ._intexamples import q_example, rand_scale
from ._intparams import cached, io_params, io_types
from ._intsoftmax import l2_normalization_int8
from ._nn import out_type
from ._rules import ACT, FIXED, Quant

OP = "L2_NORMALIZATION"
OPTIONS = "L2NormOptions"


def _check(op: Operator, act_dtype: str) -> str | None:
    act = op.options.get("fused_activation_function", "NONE")
    return None if act in ("NONE", 0) else f"fused activation {act} (LiteRT supports none)"


QUANT = Quant(inputs=(ACT,), outputs=FIXED, int16=False, fixed={"int8": (1 / 128, 0)},
              check=_check)

_EPSILON = np.float32(1e-6)


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    act = ctx.options.get("fused_activation_function", "NONE")
    if act not in ("NONE", 0):
        raise ValueError(f"L2_NORMALIZATION supports no fused activation, got {act}")
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 0:
        raise ValueError("L2_NORMALIZATION needs an input of rank >= 1")
    norm = np.sqrt(np.einsum("...i,...i->...", x, x)[..., None])
    return x / np.maximum(norm, _EPSILON)


def _prepare(ctx: OpContext) -> dict:
    act = ctx.options.get("fused_activation_function", "NONE")
    if act not in ("NONE", 0):
        raise ValueError(f"{OP} supports no fused activation, got {act}")
    io_types(ctx, OP, ("int8",))
    _, zp_in, s_out, zp_out = io_params(ctx, OP, "int8")
    if s_out != np.float32(1 / 128) or zp_out != 0:
        raise ValueError(f"{OP}: int8 output must be quantized (1/128, 0), got "
                         f"({s_out}, {zp_out})")
    return {"zp_in": zp_in}


def run_int(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    if x.ndim == 0:
        raise ValueError(f"{OP} needs an input of rank >= 1")
    st = cached(ctx, lambda: _prepare(ctx))
    return l2_normalization_int8(x, st["zp_in"]).astype(np.int8)


def version(op: Operator) -> int:
    # op_version.cc: an int8 output -> 2.
    return 2 if out_type(op) == "int8" else 1


EXAMPLES = [
    lambda rng: Example([randn(rng, 2, 8)], {}, "2-D"),
    lambda rng: Example([randn(rng, 1, 3, 3, int(rng.integers(1, 20)), scale=5.0)], {},
                        "4-D random depth"),
    lambda rng: Example([randn(rng, 7)], {}, "1-D"),
    # Rows whose norm falls below epsilon are divided by epsilon, not normalized.
    lambda rng: Example([np.concatenate([randn(rng, 2, 4, scale=1e-8),
                                         np.zeros((1, 4), np.float32),
                                         randn(rng, 1, 4)])], {}, "tiny norms"),
]


def _q_l2(rng: np.random.Generator, name: str, spread: int) -> Example:
    zp = int(rng.integers(-100, 101))
    shape = (int(rng.integers(2, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 40)))
    x = np.clip(zp + rng.integers(-spread, spread + 1, shape), -128, 127).astype(np.int8)
    return q_example(rng, "int8", name, x=x, q_in=(rand_scale(rng, 1e-3, 1.0), zp),
                          q_out=(1 / 128, 0))


# Integer kernel (int8 only): random zero points, wide and narrow rows (small sums of squares
# take the Newton-Raphson's extreme shifts), zero rows, exact 3-4-5 rows.
EXAMPLES += [
    lambda rng: _q_l2(rng, "int8", 255),
    lambda rng: _q_l2(rng, "int8 narrow", 2),
    Example([np.array([[[3, 4], [0, 5], [0, 0], [1, 0]], [[-3, 4], [-128, 127], [5, 5], [0, -1]]],
                      np.int8)], {}, "int8 exact rows",
            quant={"in0": (0.1, 0), "out0": (1 / 128, 0)}),
]
