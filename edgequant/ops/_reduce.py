"""Shared code for the reduction ops (MEAN, SUM, REDUCE_MAX, REDUCE_MIN) and ARG_MAX/ARG_MIN.

Follows tflite/kernels/reduce.cc with reference_ops from kernels/internal/reference/reduce.h:

* Axes: negative values count from the end, duplicates are dropped, anything out of range is
  an error; a rank-0 input reduces over nothing and yields a scalar.
* The reference kernels visit the input in row-major order and fold each element into its
  output slot one at a time, so float sums are strictly sequential in that order. We move the
  reduced axes to the front (ascending, which is that order) and use ``np.add.accumulate``,
  which is sequential too, instead of NumPy's pairwise ``sum``.
* REDUCE_MAX/MIN start every output at the type's lowest/highest finite value and skip NaN
  (``in > current`` is false for NaN), so a group of only -inf (max) or +inf (min) or NaN gives
  -FLT_MAX/FLT_MAX. When every axis is reduced the kernel instead starts from the first element
  (``ReduceAllDims``): then a leading NaN sticks and infinities survive.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..dtypes import qrange
from ..qmath import (
    cast_float_to_int32,
    multiply_by_quantized_multiplier,
    quantize_multiplier,
    round_half_away,
    srdhm,
    wrap_int32,
)
from ._base import OpContext
from ._shape import legacy_qparams, require_same_quant, require_zero_point_0


def resolve_axes(axis: np.ndarray | Sequence[int], ndim: int) -> list[int]:
    """Normalised, de-duplicated axes in the order given (ResolveAxis)."""
    out: list[int] = []
    if ndim == 0:
        return out
    for a in np.asarray(axis).ravel().tolist():
        a = int(a)
        cur = a + ndim if a < 0 else a
        if not 0 <= cur < ndim:
            raise ValueError(f"axis {a} is out of range for a rank-{ndim} input")
        if cur not in out:
            out.append(cur)
    return out


def reduced_shape(shape: Sequence[int], axes: Sequence[int], keep_dims: bool) -> tuple[int, ...]:
    if keep_dims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _to_groups(x: np.ndarray, axes: Sequence[int]) -> tuple[np.ndarray, tuple[int, ...]]:
    """(reduced-size, kept...) view of ``x`` with the reduced axes leading in ascending order."""
    red = sorted(axes)
    kept = [i for i in range(x.ndim) if i not in red]
    moved = np.transpose(x, red + kept)
    kept_shape = tuple(x.shape[i] for i in kept)
    return moved.reshape((-1,) + kept_shape), kept_shape


def sequential_sum(x: np.ndarray, axes: Sequence[int], acc_dtype: np.dtype) -> np.ndarray:
    """Sum over ``axes`` folding elements in row-major order, accumulating in ``acc_dtype``;
    the result has the kept dimensions only."""
    groups, kept_shape = _to_groups(x, axes)
    if groups.shape[0] == 0:
        return np.zeros(kept_shape, dtype=acc_dtype)
    if groups.shape[0] == 1:
        return groups[0].astype(acc_dtype)
    if np.dtype(acc_dtype).kind == "f":
        return np.add.accumulate(groups, axis=0, dtype=acc_dtype)[-1]
    # Integer sums wrap identically in any order; int64 accumulation then a cast reproduces
    # AddTensorValuesWithExpectedOverflow for the narrower types.
    return groups.sum(axis=0, dtype=np.int64).astype(acc_dtype)


def reducer_inputs(ctx: OpContext, x: np.ndarray, axis: np.ndarray
                   ) -> tuple[list[int], tuple[int, ...]]:
    """Resolved axes and output shape for a ReducerOptions op."""
    axes = resolve_axes(axis, x.ndim)
    keep = bool(ctx.options.get("keep_dims", False))
    return axes, reduced_shape(x.shape, axes, keep)


def reduce_extreme(x: np.ndarray, axes: list[int], out_shape: tuple[int, ...],
                   is_max: bool) -> np.ndarray:
    """REDUCE_MAX / REDUCE_MIN with the reference kernel's init-value and NaN behaviour."""
    if x.dtype == np.bool_:
        init = np.bool_(not is_max)
    elif x.dtype.kind == "f":
        fi = np.finfo(x.dtype)
        init = x.dtype.type(fi.min if is_max else fi.max)
    else:
        ii = np.iinfo(x.dtype)
        init = x.dtype.type(ii.min if is_max else ii.max)
    if x.size == 0:
        return np.full(out_shape, init, dtype=x.dtype)
    fold = (np.fmax if is_max else np.fmin) if x.dtype.kind == "f" else (
        np.logical_or if x.dtype == np.bool_ and is_max else
        np.logical_and if x.dtype == np.bool_ else np.maximum if is_max else np.minimum)
    if len(axes) == x.ndim:
        # ReduceAllDims: starts from element 0, so a NaN there is never replaced.
        flat = x.ravel()
        res = fold.reduce(flat)
        if x.dtype.kind == "f" and np.isnan(flat[0]):
            res = flat[0]
        return np.asarray(res, dtype=x.dtype).reshape(out_shape)
    res = fold.reduce(x, axis=tuple(axes), initial=init) if axes else fold(x, init)
    return np.asarray(res, dtype=x.dtype).reshape(out_shape)


def arg_extreme(ctx: OpContext, x: np.ndarray, axis: np.ndarray, is_max: bool) -> np.ndarray:
    """ARG_MAX / ARG_MIN (tflite/kernels/arg_min_max.cc, reference_ops::ArgMinMax): the first
    index of the extreme value; float NaN never wins unless every value is NaN (index 0)."""
    out_t = ctx.options.get("output_type")
    if out_t not in ("int32", "int64"):
        raise ValueError(f"{ctx.op.type}: output_type must be int32 or int64, got {out_t!r}")
    if x.ndim < 1:
        raise ValueError(f"{ctx.op.type} needs an input of rank >= 1")
    a = np.asarray(axis).ravel()
    if a.size != 1:
        raise ValueError(f"{ctx.op.type}: axis must have one element, got {a.size}")
    ax = int(a[0])
    ax = ax + x.ndim if ax < 0 else ax
    if not 0 <= ax < x.ndim:
        raise ValueError(f"{ctx.op.type}: axis {int(a[0])} out of range for rank {x.ndim}")
    if x.shape[ax] == 0:
        raise ValueError(f"{ctx.op.type}: cannot reduce an empty axis")
    if x.dtype.kind == "f":
        best = (np.fmax if is_max else np.fmin).reduce(x, axis=ax, keepdims=True)
        # First position equal to the NaN-skipping extreme; argmax of an all-False row is 0,
        # which is also what LiteRT returns for an all-NaN row.
        idx = np.argmax(x == best, axis=ax)
    else:
        idx = np.argmax(x, axis=ax) if is_max else np.argmin(x, axis=ax)
    return idx.astype(out_t)


# -- quantized MEAN / SUM ---------------------------------------------------------------------

def _quant_checks(ctx: OpContext, x: np.ndarray) -> tuple[Any, Any]:
    """Input and output tensors of a quantized reducer after PrepareSimple's checks."""
    op = ctx.op.type
    in_t, out_t = ctx.op.inputs[0], ctx.op.outputs[0]
    if x.dtype not in (np.int8, np.int16) or out_t.dtype != x.dtype.name:
        raise TypeError(f"{op}: integer kernel takes int8 or int16 in and out, got {x.dtype} "
                        f"-> {out_t.dtype}")
    require_zero_point_0(op, in_t, out_t)
    return in_t, out_t


def _int32_sum(x: np.ndarray, axes: list[int]) -> np.ndarray:
    """ReduceSumImpl into an int32 accumulator (wraps on overflow, in any order)."""
    return wrap_int32(sequential_sum(x, axes, np.int64))


def _mean_sum_path(ctx: OpContext, x: np.ndarray, axes: list[int], compute_sum: bool) -> str:
    """Which LiteRT kernel the profile's resolver runs for this quantized MEAN / SUM."""
    profile = ctx.runner.profile
    if profile == "xnnpack" and x.dtype == np.int8 and axes and ctx.op.inputs[1].data is not None:
        # The XNNPACK delegate takes int8 MEAN / SUM over constant, non-empty axes.
        return "xnnpack"
    if compute_sum:
        # BUILTIN_REF's int8 SUM misreads the codes as uint8; its int16 SUM is not reproducible,
        # so int16 follows the optimized kernel under every profile.
        return "uint8" if profile == "reference" and x.dtype == np.int8 else "float"
    if (profile != "reference" and x.dtype == np.int8 and ctx.options.get("keep_dims")
            and x.ndim == 4 and sorted(axes) == [1, 2]):
        return "mean4d"
    return "fixed"


def quantized_mean_or_sum(ctx: OpContext, x: np.ndarray, axis: np.ndarray,
                          compute_sum: bool) -> np.ndarray:
    """MEAN / SUM on int8 or int16 codes (reduce.cc EvalMean / EvalSum), with n = count of
    reduced elements and acc = their int32 sum of raw codes.

    * 'fixed' (reference_ops::QuantizedMeanOrSum, every BUILTIN_REF MEAN and the optimized
      resolver's other MEANs): (acc - zp_in * n) scaled by QuantizeMultiplier(s_in / s_out)
      with gemmlowp double rounding, plus zp_out, clamped. MEAN first folds 1/n into that
      multiplier: with k = floor(log2(n)) capped at 32 and at 31 + shift,
      M' = (M << k) / n (truncated) and shift' = shift - k.
    * 'uint8': BUILTIN_REF's int8 SUM goes through the uint8 instantiation (reduce.cc's
      reference branch calls ``GetTensorData<uint8_t>``), so the codes are read as uint8 and
      the result, clamped to [0, 255], is stored back as int8 bytes. Its int16 SUM reads half
      the buffer and leaves the rest of the output uninitialised, which cannot be reproduced.
    * 'float' (optimized_ops::QuantizedMeanOrSum, the optimized resolver's SUM; also our int16
      SUM under every profile): float32 round_half_away(acc * r - zp_in * r * n) + zp_out with
      r = s_in / s_out.
    * 'mean4d' (optimized_integer_ops::Mean: the optimized resolver's int8 MEAN with keep_dims
      over axes {1, 2} of a 4-D input): MultiplyByQuantizedMultiplier(acc,
      QuantizeMultiplier(s_in / (n * s_out))) + zp_out - round(zp_in * s_in / s_out), all in
      float32; on x86 the blocks of 16 channels round the final shift's ties up (NEON_2_SSE).
    * 'xnnpack' (XNNPACK's qs8 reduce, which LiteRT's default resolver delegates int8 MEAN /
      SUM over constant axes to): y = rint(acc * c + (zp_out - n * zp_in * c)) in float32,
      ties to even, with c = (s_in / s_out) * (1 / n) for MEAN and s_in / s_out for SUM.
    """
    in_t, out_t = _quant_checks(ctx, x)
    axes, out_shape = reducer_inputs(ctx, x, axis)
    lo, hi = qrange(out_t.dtype)
    if x.size == 0:
        # InitializeMeanOutput (MEAN) / the zeroed output (SUM): quiet_NaN() of an int is 0.
        return np.zeros(out_shape, x.dtype)
    count = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    (s_in, zp_in), (s_out, zp_out) = legacy_qparams(in_t), legacy_qparams(out_t)
    f32 = np.float32
    path = _mean_sum_path(ctx, x, axes, compute_sum)
    if path == "uint8":
        x, lo, hi = x.view(np.uint8), 0, 255
    acc = _int32_sum(x, axes)
    if path == "xnnpack":
        c = f32(s_in / s_out)
        if not compute_sum:
            c = f32(c * (f32(1) / f32(count)))
        yzp = f32(f32(zp_out) - f32(f32(count * zp_in) * c))
        v = np.rint(acc.astype(f32) * c + yzp)
        out = np.clip(v, lo, hi)
    elif path == "float":
        r = f32(s_in / s_out)
        bias = f32(f32(-zp_in) * r) * f32(count)
        v = round_half_away((acc.astype(f32) * r + bias).astype(f32))
        out = np.clip(cast_float_to_int32(v) + zp_out, lo, hi)
    elif path == "mean4d":
        mult, shift = quantize_multiplier(float(f32(s_in / (f32(count) * s_out))))
        # temp +- 0.5f then a truncating cast, all in float32 (not quite round_half_away).
        temp = f32(f32(f32(zp_in) * s_in) / s_out)
        temp = f32(temp + f32(0.5)) if temp > 0 else f32(temp - f32(0.5))
        bias = zp_out - int(temp)
        scaled = multiply_by_quantized_multiplier(acc, mult, shift)
        # x86 builds define USE_NEON (NEON_2_SSE), so whole blocks of 16 channels go through
        # MultiplyByQuantizedMultiplier4Rows: its rounding shift (vrshlq) rounds ties up, not
        # away from zero. The last C % 16 channels take the scalar path.
        vec = x.shape[3] - x.shape[3] % 16
        if vec:
            left, right = max(shift, 0), max(-shift, 0)
            high = srdhm(wrap_int32(acc[..., :vec] * (1 << left)), mult)
            scaled[..., :vec] = (high + ((1 << right) >> 1)) >> right
        out = np.clip(scaled + bias, lo, hi)
    else:
        mult, shift = ctx.state.get("multiplier") or ctx.state.setdefault(
            "multiplier", quantize_multiplier(float(np.float64(s_in) / np.float64(s_out))))
        if not compute_sum:
            k = min(count.bit_length() - 1, 32, 31 + shift)
            mult, shift = (mult << k) // count, shift - k
        # acc - zp * n is formed in int64 and narrowed back to the int32 accumulator.
        shifted = wrap_int32(acc - zp_in * count)
        out = np.clip(multiply_by_quantized_multiplier(shifted, mult, shift) + zp_out, lo, hi)
    if path == "uint8":
        return out.astype(np.uint8).view(np.int8).reshape(out_shape)
    return out.astype(out_t.dtype).reshape(out_shape)


def quantized_extreme(ctx: OpContext, x: np.ndarray, axis: np.ndarray, is_max: bool
                      ) -> np.ndarray:
    """REDUCE_MAX / REDUCE_MIN on raw codes: LiteRT insists (at Eval) on identical input and
    output quantization and, for int16, zero points of 0; the fold is the plain one."""
    in_t, out_t = _quant_checks(ctx, x)
    require_same_quant(ctx.op.type, in_t, out_t)
    axes, out_shape = reducer_inputs(ctx, x, axis)
    return reduce_extreme(x, axes, out_shape, is_max)
