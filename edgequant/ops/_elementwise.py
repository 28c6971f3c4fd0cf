"""Shared code for the elementwise ops (SUB, MUL, DIV, comparisons, unary math, SELECT, ...).

LiteRT's reference kernels broadcast NumPy-style up to 8-D (``BroadcastBinaryOpSimple``) and
refuse input types they have no kernel for (in ``Prepare`` or ``Eval``); we raise TypeError
for those rather than computing something LiteRT never would.

Arithmetic kernels (SUB/MUL/DIV) clamp every result with ``ActivationFunctionWithMinMax`` to
the range from ``CalculateActivationRange`` (kernel_util.h), in the tensor's own type:
* NONE (and TANH / SIGN_BIT, which that function does not know) clamp to [lowest, max], so a
  float overflow to +-inf comes out as +-FLT_MAX, while NaN passes through;
* RELU [0, max], RELU6 [0, 6], RELU_N1_TO_1 [-1, 1], for int32/int64 results too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable

import numpy as np

from ._base import OpContext

try:  # the clip ufunc itself, without np.clip's Python wrapper
    from numpy._core.umath import clip as _clip  # NumPy 2
except ImportError:  # pragma: no cover - NumPy 1.x
    from numpy.core.umath import clip as _clip

if TYPE_CHECKING:
    from ..ir import Operator, Tensor

_NAMES: dict[np.dtype, str] = {}


def dtype_name(dt: np.dtype) -> str:
    """``dt.name``, cached: NumPy computes it in Python on every access (~1 us)."""
    name = _NAMES.get(dt)
    if name is None:
        name = _NAMES[dt] = dt.name
    return name


def require(op: str, x: np.ndarray, allowed: Iterable[str]) -> None:
    """TypeError unless ``x``'s dtype is one LiteRT's kernel for ``op`` accepts."""
    if not isinstance(allowed, (tuple, list, set, frozenset)):
        allowed = tuple(allowed)
    if dtype_name(x.dtype) not in allowed:
        raise TypeError(f"{op}: LiteRT has no kernel for {x.dtype.name} inputs "
                        f"(supported: {', '.join(allowed)})")


def same_type(op: str, *xs: np.ndarray) -> None:
    # TF_LITE_ENSURE_TYPES_EQ: no implicit promotion between inputs.
    if (xs[0].dtype != xs[1].dtype if len(xs) == 2 else len({x.dtype for x in xs}) > 1):
        raise TypeError(f"{op}: input types differ: {', '.join(x.dtype.name for x in xs)}")


def broadcast_shape(op: str, *xs: np.ndarray) -> tuple[int, ...]:
    try:
        shape = np.broadcast_shapes(*(x.shape for x in xs))
    except ValueError:
        raise ValueError(f"{op}: shapes {', '.join(str(list(x.shape)) for x in xs)} do not "
                         "broadcast") from None
    if len(shape) > 8 and len({x.shape for x in xs}) > 1:
        raise ValueError(f"{op}: LiteRT broadcasts at most 8 dimensions, got {len(shape)}")
    return shape


def activation_range(act: str | int, dtype: np.dtype) -> tuple[float, float]:
    """CalculateActivationRange for a float or integer output type."""
    info = np.finfo(dtype) if dtype.kind == "f" else np.iinfo(dtype)
    if act in ("RELU", 1):
        return 0, info.max
    if act in ("RELU6", 3):
        return 0, 6
    if act in ("RELU_N1_TO_1", 2):
        return -1, 1
    return info.min, info.max


def clamp_activation(ctx: OpContext, out: np.ndarray) -> np.ndarray:
    lo, hi = activation_range(ctx.options.get("fused_activation_function", "NONE"), out.dtype)
    # np.clip keeps NaN, like std::min(std::max(x, lo), hi).
    return np.clip(out, np.asarray(lo, out.dtype), np.asarray(hi, out.dtype))


def arithmetic(ctx: OpContext, a: np.ndarray, b: np.ndarray,
               fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
               allowed: Iterable[str]) -> np.ndarray:
    """A binary arithmetic kernel: type checks, broadcast, ``fn`` in the input type, clamp."""
    op = ctx.op.type
    same_type(op, a, b)
    require(op, a, allowed)
    if a.shape != b.shape:
        broadcast_shape(op, a, b)
    with np.errstate(all="ignore"):
        out = np.asarray(fn(a, b)).astype(a.dtype, copy=False)
    # ``out`` is fresh (every ``fn`` here returns a new array), so clamp it in place: one
    # allocation and pass fewer than np.clip's copy, which showed on large activations.
    lo, hi = _bounds(ctx.options.get("fused_activation_function", "NONE"), out.dtype)
    return _clip(out, lo, hi, out=out)


_BOUNDS: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def _bounds(act: str | int, dt: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """activation_range as 0-d arrays of the output type, cached."""
    hit = _BOUNDS.get((act, dt))
    if hit is None:
        lo, hi = activation_range(act, dt)
        hit = _BOUNDS[(act, dt)] = (np.asarray(lo, dt), np.asarray(hi, dt))
    return hit


def binary(ctx: OpContext, a: np.ndarray, b: np.ndarray,
           fn: Callable[[np.ndarray, np.ndarray], np.ndarray], allowed: Iterable[str],
           out_dtype: np.dtype | type | None = None) -> np.ndarray:
    """A binary kernel without fused activation (comparisons, MAXIMUM, POW, ...)."""
    op = ctx.op.type
    same_type(op, a, b)
    require(op, a, allowed)
    broadcast_shape(op, a, b)
    with np.errstate(all="ignore"):
        out = np.asarray(fn(a, b))
    return out.astype(out_dtype or a.dtype, copy=False)


def unary(ctx: OpContext, x: np.ndarray, fn: Callable[[np.ndarray], np.ndarray],
          allowed: Iterable[str]) -> np.ndarray:
    require(ctx.op.type, x, allowed)
    with np.errstate(all="ignore"):
        return np.asarray(fn(x)).astype(x.dtype, copy=False)


# --- op versions (op_version.cc) -----------------------------------------------------------

def in_type(op: "Operator", i: int = 0) -> str:
    t = op.inputs[i] if i < len(op.inputs) else None
    return t.dtype if t is not None else ""


def out_type(op: "Operator", i: int = 0) -> str:
    return op.outputs[i].dtype if i < len(op.outputs) else ""


def has_quant_table(t: "Tensor | None") -> bool:
    # op_signature.cc tests for the table's presence, not for scales in it.
    return t is not None and t.quantization is not None


def broadcast_over_4d(op: "Operator") -> bool:
    """NeedBroadcastForBinaryInputs (inputs 0 and 1 differ in shape) and max input rank > 4."""
    ins = [t for t in op.inputs if t is not None]
    if len(op.inputs) < 2 or op.inputs[0] is None or op.inputs[1] is None:
        return False
    return (tuple(op.inputs[0].shape) != tuple(op.inputs[1].shape)
            and max(len(t.shape) for t in ins) > 4)


# --- MAXIMUM / MINIMUM ---------------------------------------------------------------------

# maximum_minimum.cc; int8/uint8/int16 compare the stored integers whether quantized or not.
MINMAX_TYPES = ("float32", "float16", "int8", "uint8", "int16", "int32", "int64")


def maximum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # MaximumOp is `a > b ? a : b`: a NaN in a yields b, a NaN in b yields NaN (np.maximum
    # would propagate both).
    return np.where(a > b, a, b)


def minimum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where(a < b, a, b)


def minmax_version(op: "Operator") -> int:
    if in_type(op) == "int16" and out_type(op) == "int16":
        return 4
    if broadcast_over_4d(op):
        return 3
    return 2 if in_type(op) == "int8" else 1


# --- unary math ---------------------------------------------------------------------------

def via_double(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """``fn`` evaluated in float64 and rounded to float32.

    LiteRT calls glibc's expf/logf/powf, which are (almost always) correctly rounded; NumPy's
    SIMD float32 loops are not (measured against LiteRT: exp 39% of values off by up to 2 ulp,
    log 3%), while the float64-and-round result differs from LiteRT in <0.1% by 1 ulp."""
    def run(x: np.ndarray) -> np.ndarray:
        return fn(x.astype(np.float64)).astype(x.dtype)
    return run


# --- comparisons (comparisons.cc) ----------------------------------------------------------

# Float and wide integer types compare directly; int16 without a quantization table too
# (except in NOT_EQUAL). int8/uint8 always take LiteRT's rescaling path (ComparisonQuantized),
# so they have no float kernel here.
COMPARE_TYPES = ("float32", "float16", "int16", "int32", "int64")


def compare(ctx: OpContext, a: np.ndarray, b: np.ndarray,
            fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
            allowed: Iterable[str] = COMPARE_TYPES) -> np.ndarray:
    return binary(ctx, a, b, fn, allowed, out_dtype=np.bool_)


def compare_examples(types: Iterable[str]) -> list:
    """Examples shared by the comparison ops: ties, NaN, broadcasting, each supported type."""
    from ._base import Example

    def ints(rng: np.random.Generator, dtype: str, *shape: int) -> np.ndarray:
        scale = 2**40 if dtype == "int64" else 1  # values only int64 can hold
        return (rng.integers(-2, 3, shape) * scale).astype(dtype)

    def floats(rng: np.random.Generator) -> Example:
        a = rng.integers(-2, 3, (2, 3, 4)).astype(np.float32)
        b = rng.integers(-2, 3, (2, 3, 4)).astype(np.float32)
        a.flat[:5] = [np.nan, 1, np.nan, -np.inf, 0.0]
        b.flat[:5] = [1, np.nan, np.nan, -np.inf, -0.0]
        return Example([a, b], {}, "float32 ties, NaN, inf, -0", output_dtypes=["bool"])

    def typed(dtype: str):
        def make(rng: np.random.Generator) -> Example:
            if dtype == "bool":
                a, b = rng.random((2, 3)) < 0.5, rng.random((3,)) < 0.5
            else:
                a, b = ints(rng, dtype, 2, 1, 3), ints(rng, dtype, 4, 1)
            return Example([a, b], {}, f"{dtype} broadcast", output_dtypes=["bool"])
        return make

    return [floats] + [typed(t) for t in types if t != "float32"]


EQUALITY_TYPES = ("bool",) + COMPARE_TYPES


# --- SELECT / SELECT_V2 (select.cc) --------------------------------------------------------

def select_common(ctx: OpContext, cond: np.ndarray, x: np.ndarray,
                  y: np.ndarray) -> np.ndarray | None:
    """Checks shared by both versions; returns the result of the all-single-element case."""
    op = ctx.op.type
    if cond.dtype != np.bool_:
        raise TypeError(f"{op}: condition must be bool, got {cond.dtype.name}")
    same_type(op, x, y)
    # The kernel copies elements by byte width (8/16/32/64 bits), so any such type works.
    if x.dtype.itemsize not in (1, 2, 4, 8) or x.dtype.kind not in "biufc":
        raise TypeError(f"{op}: LiteRT cannot select {x.dtype.name} values")
    declared = tuple(ctx.op.outputs[0].shape or ())
    if (cond.size == 1 and x.size == 1 and y.size == 1
            and all(d >= 0 for d in declared) and int(np.prod(declared)) == 1):
        # SelectPrepare keeps the output's declared shape when everything has one element.
        return np.where(cond.reshape(()), x.reshape(()), y.reshape(())).reshape(declared)
    return None
