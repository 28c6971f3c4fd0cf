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

from typing import Sequence

import numpy as np

from ._base import OpContext


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
