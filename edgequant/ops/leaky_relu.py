"""LEAKY_RELU: x > 0 ? x : alpha * x (tflite/kernels/activations.cc LeakyReluEval,
reference_ops::LeakyRelu). Not max(x, alpha * x): alpha may be negative or above 1.

Integer (int8, int16; reference_ops::QuantizeLeakyRelu): x - zp_in >= 0 is rescaled by
float32(s_in / s_out), the rest by float32(s_in * alpha) / s_out, each through
QuantizeMultiplier and MultiplyByQuantizedMultiplier; a negative alpha multiplier is applied to
|multiplier| and the result negated (gemmlowp needs a non-negative multiplier). int16 needs zero
points 0.

Other resolvers: int8 under XNNPACK ('xnnpack' profile; delegated when alpha is normal and
nonzero and 1/256 <= s_in/s_out <= 128, |s_in/s_out * alpha| in [1/256, 128]) uses 8-bit
fractional multipliers lrintf(256 * ratio) and zp_out + ((x - zp_in) * M + 128) >> 8
(XNNPACK microparams-init.c xnn_init_qs8_lrelu_scalar_params, qs8-vlrelu kernels). The optimized
int16 kernel ('optimized' and 'xnnpack' profiles) applies the signed alpha multiplier directly
(optimized_integer_ops::QuantizeLeakyRelu), which differs from the reference at exact ties.
"""

from __future__ import annotations

import numpy as np

from ..dtypes import qrange
from ..ir import Operator
from ..qmath import multiply_by_quantized_multiplier as mbqm
from ..qmath import quantize_multiplier
from ._base import Example, OpContext, randn
from ._intexamples import q_example
from ._intparams import io_params, io_types
from ._lut import code_table, every_code, run_table
from ._nn import activation_version
from ._rules import ELEMENTWISE

OP = "LEAKY_RELU"
OPTIONS = "LeakyReluOptions"
QUANT = ELEMENTWISE


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    alpha = np.float32(ctx.options.get("alpha", 0.0))
    return np.where(x > 0, x, x * alpha).astype(np.float32, copy=False)


def _prepare(ctx: OpContext) -> dict:
    t, _ = io_types(ctx, OP, ("int8", "int16"))
    s_in, zp_in, s_out, zp_out = io_params(ctx, OP, t)
    alpha = np.float32(ctx.options.get("alpha", 0.0))
    lo, hi = qrange(t)
    xnn = _xnnpack_multipliers(s_in, s_out, alpha) if t == "int8" else None
    if xnn is not None and ctx.runner.profile == "xnnpack":
        def kernel(x: np.ndarray) -> np.ndarray:
            v = x - zp_in
            return np.clip(zp_out + ((v * np.where(v >= 0, *xnn) + 128) >> 8), lo, hi)
    else:
        m_id, s_id = quantize_multiplier(float(s_in / s_out))
        m_a, s_a = quantize_multiplier(float(s_in * alpha / s_out))
        signed = m_a < 0 and t == "int16" and ctx.runner.profile != "reference"

        def kernel(x: np.ndarray) -> np.ndarray:
            v = x - zp_in
            if signed:  # the optimized int16 kernel applies the signed multiplier as is
                neg = mbqm(v, m_a, s_a)
            else:
                neg = mbqm(v, abs(m_a), s_a) * (-1 if m_a < 0 else 1)
            return np.clip(zp_out + np.where(v >= 0, mbqm(v, m_id, s_id), neg), lo, hi)

    return {"table": code_table(t, kernel)}


def _xnnpack_multipliers(s_in: np.float32, s_out: np.float32, alpha: np.float32
                         ) -> tuple[int, int] | None:
    """XNNPACK's (positive, negative) 8.8 fixed-point multipliers, or None where the delegate
    refuses the node and LiteRT's own kernel runs (xnnpack_delegate.cc VisitUnaryNode)."""
    f32 = np.float32
    if not np.isfinite(alpha) or alpha == 0 or abs(alpha) < np.finfo(f32).tiny:
        return None
    positive = f32(s_in / s_out)
    negative = f32(positive * alpha)
    if not (f32(1 / 256) <= positive <= f32(128)):
        return None
    if not (f32(-127.99609375) <= negative <= f32(128)) or abs(negative) < f32(1 / 256):
        return None
    return int(np.rint(f32(256) * positive)), int(np.rint(f32(256) * negative))


def run_int(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    # The kernel is evaluated once per code at prepare time and looked up.
    return run_table(ctx, x, _prepare)


def version(op: Operator) -> int:
    # op_version.cc: only int16 bumps (-> 2); int8 stays at 1.
    return activation_version(op, int16=2, int8=1)


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 4, 3)], {"alpha": 0.2}, "alpha 0.2"),
    lambda rng: Example([randn(rng, int(rng.integers(2, 9)), int(rng.integers(1, 17)))],
                        {"alpha": float(rng.uniform(0.01, 0.5))}, "random alpha"),
    lambda rng: Example([randn(rng, 3, 7)], {"alpha": -0.5}, "negative alpha"),
    lambda rng: Example([randn(rng, 2, 5)], {"alpha": 1.5}, "alpha above 1"),
]

# Integer kernel: random scales and alphas (int8 and 16x8), batch > 1; exact ties with
# s_in / s_out = 0.5 and alpha 0.375; a negative alpha (the sign-split multiply).
EXAMPLES += [
    lambda rng: q_example(rng, "int8", "int8", {"alpha": float(rng.uniform(0.01, 0.5))}),
    lambda rng: q_example(rng, "int16", "int16", {"alpha": float(rng.uniform(0.01, 0.5))}),
    lambda rng: q_example(rng, "int8", "int8 negative alpha",
                               {"alpha": float(rng.uniform(-2, -0.1))}),
    lambda rng: q_example(rng, "int16", "int16 alpha above 1", {"alpha": 1.7}),
    Example([every_code("int8", (2, 4, 32))], {"alpha": 0.375}, "int8 ties",
            quant={"in0": (0.5, 7), "out0": (1.0, -3)}),
    Example([every_code("int8", (4, 64))], {"alpha": -0.375}, "int8 ties negative alpha",
            quant={"in0": (0.5, -9), "out0": (1.0, 2)}),
    Example([every_code("int16", (2, 128, 256))], {"alpha": 0.375}, "int16 ties",
            quant={"in0": (0.5, 0), "out0": (1.0, 0)}),
]
