"""Integer EXAMPLES shared by the op files: quantized single-input activations
(``q_example``), binary elementwise ops with random and dyadic scales, broadcasting and fused
activations (``binary_int_examples``), MAXIMUM / MINIMUM, SELECT / SELECT_V2 and unary
elementwise ops. tests/test_ops.py builds each into a single-op model and compares it with
LiteRT's reference kernels (BUILTIN_REF); the scales and shapes follow what those kernels
accept (tflite/kernels/*.cc Prepare checks)."""

from __future__ import annotations

import numpy as np

from ..dtypes import qrange
from ._base import Example
from ._shape import qrand

# -- single-input activations ------------------------------------------------------------------


def rand_scale(rng: np.random.Generator, lo: float, hi: float) -> float:
    """A log-uniform scale in [lo, hi], rounded to float32 as the file stores it."""
    return float(np.float32(np.exp(rng.uniform(np.log(lo), np.log(hi)))))


def q_example(rng: np.random.Generator, dtype: str, name: str,
              options: dict | None = None, *, shape: tuple[int, ...] | None = None,
              x: np.ndarray | None = None, q_in: tuple[float, int] | None = None,
              q_out: tuple[float, int] | None = None, out_dtype: str | None = None,
              in_range: tuple[float, float] = (1e-3, 0.5)) -> Example:
    """A quantized single-input example: random codes of ``dtype`` (by default a random
    multi-dimensional shape with a batch of 2 or more), random scales and zero points unless
    given (int16 zero points are 0), the output scale within a factor e of the input's."""
    if x is None:
        if shape is None:
            shape = (int(rng.integers(2, 4)),) + tuple(int(d) for d in rng.integers(1, 7, 2))
        x = qrand(rng, shape, dtype)
    zp = (lambda: 0) if dtype == "int16" else (lambda: int(rng.integers(-100, 101)))
    if q_in is None:
        q_in = (rand_scale(rng, *in_range), zp())
    if q_out is None:
        q_out = (float(np.float32(q_in[0] * np.exp(rng.uniform(-1, 1)))), zp())
    return Example([x], dict(options or {}), name, quant={"in0": q_in, "out0": q_out},
                   output_dtypes=[out_dtype] if out_dtype else None)


# -- elementwise ops ---------------------------------------------------------------------------


def codes(rng: np.random.Generator, dtype: str, *shape: int, lim: int | None = None
          ) -> np.ndarray:
    """Random integer codes over the type's range (or +-lim)."""
    lo, hi = qrange(dtype)
    if lim is not None:
        lo, hi = max(lo, -lim), min(hi, lim)
    return rng.integers(lo, hi + 1, shape).astype(dtype)


def rand_q(rng: np.random.Generator, dtype: str, lo: float = 0.005, hi: float = 0.2
           ) -> tuple[float, int]:
    """Random (scale, zero point): log-uniform scale, zero point 0 for int16."""
    scale = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    return scale, (0 if dtype == "int16" else int(rng.integers(-100, 101)))


def binary_int_examples(*, int16: bool = True, act: bool = True, pot: bool = False,
                        nonzero_b: bool = False, bool_out: bool = False,
                        int16_scale: tuple[float, float] = (1e-4, 3e-3)) -> list:
    """Integer EXAMPLES for a binary op: random scales, exact ties (dyadic multipliers),
    broadcasting up to 6-D, fused activations, int8 and (optionally) int16 16x8.

    ``nonzero_b`` keeps input 2 away from its zero point (DIV refuses a zero divisor);
    ``bool_out`` makes the output a bool (comparisons, no output quantization); ``pot`` adds
    ADD/SUB's int16 power-of-two cases."""

    def make(rng: np.random.Generator, dtype: str, sa: tuple, sb: tuple, qa: tuple,
             qb: tuple, qo: tuple, opts: dict, name: str) -> Example:
        lim = 3000 if dtype == "int16" else None
        a, b = codes(rng, dtype, *sa, lim=lim), codes(rng, dtype, *sb, lim=lim)
        if nonzero_b:
            b = np.where(b == qb[1], b + (1 if qb[1] < 0 else -1), b).astype(dtype)
        quant = {"in0": qa, "in1": qb}
        if not bool_out:
            quant["out0"] = qo
        if not act:
            opts = {k: v for k, v in opts.items() if k != "fused_activation_function"}
        return Example([a, b], opts, name, quant=quant,
                       output_dtypes=["bool"] if bool_out else None)

    def rnd(dtype: str, sa: tuple, sb: tuple, act_fn: str, name: str, **extra):
        def ex(rng: np.random.Generator) -> Example:
            lo, hi = int16_scale if dtype == "int16" else (0.005, 0.2)
            qa, qb, qo = (rand_q(rng, dtype, lo, hi) for _ in range(3))
            opts = {"fused_activation_function": act_fn, **extra}
            return make(rng, dtype, sa, sb, qa, qb, qo, opts, name)
        return ex

    def fixed(dtype: str, sa: tuple, sb: tuple, qa: tuple, qb: tuple, qo: tuple,
              act_fn: str, name: str, **extra):
        def ex(rng: np.random.Generator) -> Example:
            opts = {"fused_activation_function": act_fn, **extra}
            return make(rng, dtype, sa, sb, qa, qb, qo, opts, name)
        return ex

    out = [
        rnd("int8", (2, 4, 4, 3), (2, 4, 4, 3), "NONE", "int8 random scales"),
        rnd("int8", (2, 1, 3, 5), (3, 1), "RELU", "int8 broadcast relu"),
        rnd("int8", (1,), (3, 4), "RELU6", "int8 scalar-like broadcast relu6"),
        rnd("int8", (2, 1, 3, 1, 2, 1), (2, 1, 4, 1, 3), "RELU_N1_TO_1",
            "int8 6-D broadcast relu_n1_to_1"),
        # Dyadic scales: many exact rounding ties in every multiplier stage.
        fixed("int8", (16, 16), (16, 16), (0.5, 3), (0.25, -7), (0.375, 1), "NONE",
              "int8 ties"),
        fixed("int8", (8, 1, 16), (16,), (0.0625, -128), (0.125, 127), (0.5, 0), "RELU",
              "int8 ties broadcast"),
        fixed("int8", (16, 16), (16, 16), (1 / 32, 0), (1 / 32, 0), (3 / 64, -1), "NONE",
              "int8 equal input scales"),
    ]
    if int16:
        extra = {"pot_scale_int16": False} if pot else {}
        out += [
            rnd("int16", (2, 3, 8), (2, 3, 8), "NONE", "int16 random scales", **extra),
            rnd("int16", (2, 1, 8), (3, 1), "RELU", "int16 broadcast relu", **extra),
            fixed("int16", (16, 16), (16, 16), (2**-9, 0), (2**-11, 0), (3 * 2**-10, 0),
                  "RELU6", "int16 ties", **extra),
        ]
    if int16 and pot:
        out += [
            rnd("int16", (3, 8), (3, 8), "NONE", "int16 pot_scale_int16 true, general scales"),
            fixed("int16", (4, 16), (4, 16), (2**-10, 0), (2**-12, 0), (2**-10, 0), "NONE",
                  "int16 power-of-two path"),
            fixed("int16", (4, 16), (4, 16), (2**-14, 0), (2**-8, 0), (2**-8, 0), "RELU",
                  "int16 power-of-two path, input 1 shifted"),
        ]
    return out


def shared_binary_examples() -> list:
    """Integer EXAMPLES for MAXIMUM/MINIMUM: codes compared raw, with shared quantization
    (the planned case), different quantization (what LiteRT really computes), broadcasting."""

    def ex(dtype: str, sa: tuple, sb: tuple, qa: tuple, qb: tuple, name: str):
        def make(rng: np.random.Generator) -> Example:
            a, b = codes(rng, dtype, *sa), codes(rng, dtype, *sb)
            return Example([a, b], {}, name, quant={"in0": qa, "in1": qb, "out0": qa})
        return make

    return [
        ex("int8", (2, 4, 4, 3), (2, 4, 4, 3), (0.05, -3), (0.05, -3), "int8 shared"),
        ex("int8", (2, 1, 3, 1, 2), (4, 1, 1, 1), (0.1, 10), (0.1, 10),
           "int8 5-D broadcast"),
        ex("int8", (3, 5), (5,), (0.05, -3), (0.02, 7), "int8 different (raw codes)"),
        ex("int16", (2, 3, 8), (3, 1), (1e-3, 0), (1e-3, 0), "int16 shared broadcast"),
    ]


def select_examples(v2: bool) -> list:
    """Integer EXAMPLES for SELECT / SELECT_V2: int8 and int16 values sharing quantization."""

    def ex(dtype: str, sc: tuple, sx: tuple, sy: tuple, q: tuple, name: str):
        def make(rng: np.random.Generator) -> Example:
            cond = rng.random(sc) < 0.5
            x, y = codes(rng, dtype, *sx), codes(rng, dtype, *sy)
            return Example([cond, x, y], {}, name, quant={"in1": q, "in2": q, "out0": q})
        return make

    if v2:
        return [ex("int8", (2, 1, 4), (3, 1), (2, 3, 4), (0.05, -3), "int8 broadcast"),
                ex("int16", (4,), (2, 4), (2, 4), (1e-3, 0), "int16")]
    return [ex("int8", (3,), (3, 2, 4), (3, 2, 4), (0.05, -3), "int8 rank-1 condition"),
            ex("int16", (2, 4), (2, 4), (2, 4), (1e-3, 0), "int16")]


def unary_int_examples(*, nonneg: bool = False, int16: bool = True,
                       in_scale: tuple[float, float] = (0.005, 0.2),
                       out_scale: tuple[float, float] = (0.005, 0.2),
                       fixed: list[tuple[str, tuple, tuple, str]] = ()) -> list:
    """Integer EXAMPLES for a unary op: every int8 code with random scales, random int16 codes,
    and ``fixed`` (dtype, (s_in, zp_in), (s_out, zp_out), name) cases for ties and extremes.
    ``nonneg`` keeps inputs at or above the input zero point (SQRT and RSQRT refuse below)."""

    def make(rng: np.random.Generator, dtype: str, qi: tuple, qo: tuple, name: str) -> Example:
        if dtype == "int8":
            x = np.arange(-128, 128).reshape(2, 8, 16)
        else:
            x = np.concatenate([rng.integers(-32768, 32768, 500), [-32768, -1, 0, 1, 32767]])
        if nonneg:
            x = np.maximum(x, qi[1])
        return Example([x.astype(dtype)], {}, name, quant={"in0": qi, "out0": qo})

    def rnd(dtype: str):
        def ex(rng: np.random.Generator) -> Example:
            k = 0.01 if dtype == "int16" else 1.0
            qi = rand_q(rng, dtype, in_scale[0] * k, in_scale[1] * k)
            qo = rand_q(rng, dtype, out_scale[0] * k, out_scale[1] * k)
            return make(rng, dtype, qi, qo, f"{dtype} random scales")
        return ex

    def fix(dtype: str, qi: tuple, qo: tuple, name: str):
        return lambda rng: make(rng, dtype, qi, qo, name)

    out = [rnd("int8")] + [fix(*f) for f in fixed]
    if int16:
        out.append(rnd("int16"))
    return out
