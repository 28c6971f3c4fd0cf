"""MUL: elementwise product with broadcasting and a fused activation
(tflite/kernels/mul.cc, reference_ops::Mul / BroadcastMul6DSlow).

float32, int32, int64, uint32, raw int16 (no quantization table) and complex64. Integer
products wrap (WrappingMul) and are then clamped by the activation; a float overflow saturates
to +-FLT_MAX (see _elementwise). complex64 takes no activation: LiteRT refuses one.

Quantized int8 / int16 (``run_int``, reference_integer_ops::Mul / BroadcastMul6DSlow): the
product (q1 - z1) * (q2 - z2) is requantized with a single multiplier s1 * s2 / s_out — formed
in float32, as mul.cc does — by gemmlowp double rounding (a left shift first when the
multiplier is >= 1, version 3), offset, and clamped to the fused activation's range. int16
needs zero points 0 (LiteRT checks at invoke). int16 inputs with an int8 output (an LSTM-only
LiteRT path) are not supported. The default resolver hands int8 MUL to XNNPACK, which
requantizes in float32 with ties to even (about 0.6% of outputs differ by 1 LSB from the
reference); ``profile='xnnpack'`` reproduces it. The builtin optimized kernel
(BUILTIN_WITHOUT_DEFAULT_DELEGATES) differs too, when the multiplier is >= 1 (its Neon-path
overflow is not modelled: that profile uses the reference arithmetic)."""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext, randn
from ._elementwise import arithmetic, binary, has_quant_table, in_type
from ._intarith import mul_kernel, run_binary
from ._intexamples import binary_int_examples
from ._rules import ACT, Quant

OP = "MUL"
OPTIONS = "MulOptions"

_TYPES = ("float32", "int32", "int64", "uint32", "int16")


def run_float(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.dtype == np.complex64:
        if ctx.options.get("fused_activation_function", "NONE") not in ("NONE", 0):
            raise ValueError("MUL: LiteRT allows no fused activation for complex64")
        return binary(ctx, a, b, _complex_mul, ("complex64",))
    return arithmetic(ctx, a, b, np.multiply, _TYPES)


QUANT = Quant(inputs=(ACT, ACT), outputs=ACT)


def run_int(ctx: OpContext, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return run_binary(ctx, a, b, mul_kernel)


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
    # op_signature.h holds the scales as float: the ratio is formed in float32.
    if s1 and s2 and so and np.float32(np.float32(s1) * np.float32(s2)) / np.float32(so) >= 1:
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
] + binary_int_examples()
