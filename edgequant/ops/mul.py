"""MUL: elementwise product with broadcasting and a fused activation
(tflite/kernels/mul.cc, reference_ops::Mul / BroadcastMul6DSlow).

float32, int32, int64, uint32, raw int16 (no quantization table) and complex64. Integer
products wrap (WrappingMul) and are then clamped by the activation; a float overflow saturates
to +-FLT_MAX (see _elementwise). complex64 takes no activation: LiteRT refuses one."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext, randn
from ._elementwise import arithmetic, binary, has_quant_table, in_type

OP = "MUL"
OPTIONS = "MulOptions"

_TYPES = ("float32", "int32", "int64", "uint32", "int16")


def run_float(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.dtype == np.complex64:
        if ctx.options.get("fused_activation_function", "NONE") not in ("NONE", 0):
            raise ValueError("MUL: LiteRT allows no fused activation for complex64")
        return binary(ctx, a, b, _complex_mul, ("complex64",))
    return arithmetic(ctx, a, b, np.multiply, _TYPES)


def _complex_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # NumPy's complex64 multiply fuses (FMA) in its SIMD loop; std::complex<float> rounds each
    # product and sum separately, which the float32 parts below reproduce bit for bit.
    ar, ai, br, bi = a.real, a.imag, b.real, b.imag
    out = np.empty(np.broadcast_shapes(a.shape, b.shape), np.complex64)
    out.real = ar * br - ai * bi
    out.imag = ar * bi + ai * br
    return out


def _scale(t) -> float:
    q = t.quantization if t is not None else None
    return float(q.scale[0]) if q is not None and q.scale is not None and q.scale.size else 0.0


def version(op) -> int:
    t = in_type(op)
    quantized = any(has_quant_table(x) for x in op.inputs[:2])
    if t == "float16":
        return 7  # 8 in op_version.cc; the reference resolver stops at 7
    if (t == "int16" and not quantized) or t == "uint32":
        return 7
    if t == "complex64":
        return 6
    if t == "int64":
        return 5
    if t == "int16":
        return 4
    s1, s2, so = _scale(op.inputs[0]), _scale(op.inputs[1]), _scale(op.outputs[0])
    if s1 and s2 and so and s1 * s2 / so >= 1.0:
        return 3
    return 2 if t == "int8" else 1


def _complex(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return (randn(rng, *shape) + 1j * randn(rng, *shape)).astype(np.complex64)


EXAMPLES = [
    lambda rng: Example([randn(rng, 1, 4, 4, 3), randn(rng, 1, 4, 4, 3)],
                        {"fused_activation_function": "RELU6"}, "same shape relu6"),
    lambda rng: Example([randn(rng, 2, 1, 5), randn(rng, 3, 1)],
                        {"fused_activation_function": "RELU_N1_TO_1"}, "broadcast relu_n1_to_1"),
    lambda rng: Example([rng.integers(-3000, 3000, (3, 4)).astype(np.int32),
                         rng.integers(-3000, 3000, (4,)).astype(np.int32)],
                        {"fused_activation_function": "RELU"}, "int32 relu"),
    lambda rng: Example([rng.integers(-2**20, 2**20, (2, 1, 3)).astype(np.int64),
                         rng.integers(-2**20, 2**20, (4, 1)).astype(np.int64)], {}, "int64"),
    # Raw int16 wraps on overflow; uint32 likewise.
    lambda rng: Example([rng.integers(-400, 400, (2, 5)).astype(np.int16),
                         rng.integers(-400, 400, (2, 5)).astype(np.int16)], {}, "int16 wraps"),
    lambda rng: Example([_complex(rng, 2, 3), _complex(rng, 3)], {}, "complex64"),
]
