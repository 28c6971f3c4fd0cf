"""STRIDED_SLICE: NumPy-style ``x[begin:end:stride, ...]`` with TF's masks
(tflite/kernels/strided_slice.cc, BuildStridedSliceParams / ResizeOutputTensor, and
tflite/kernels/internal/reference/strided_slice.h StartForAxis / EndForAxis).

Followed literally, including LiteRT's quirks:

* begin/end/strides must be int32 (int64 is refused in Prepare); begin/end may be run-time.
* Masks are bit masks over the *spec* positions. ``new_axis_mask`` inserts a size-1 axis
  (ignored where the ellipsis bit is also set); ``ellipsis_mask`` expands to the dims the
  spec does not name, but always to at least one dim (so a spec that names every dim and an
  ellipsis drops the last spec entry, unlike TF). Dims past the spec are taken whole.
* Start and end are wrapped once if negative, then clamped to [0, n] (stride > 0) or
  [-1, n-1] (stride < 0); a begin/end mask overrides after clamping.
* ``shrink_axis_mask`` takes the single element at begin and drops the dim (end = begin + 1).
* ``offset=true`` makes end relative to begin (end += begin), but the output shape is taken
  from the raw end values (indexed by *effective* dim), without clamping.

Where LiteRT would leave part of the output unwritten (the shape from ResizeOutputTensor and
the elements the copy loop visits disagree), we raise instead of returning garbage.

Quantized tensors are sliced as raw codes (``run_int``); LiteRT checks no quantization.
"""

from __future__ import annotations

import numpy as np

from ..ir import Operator
from ._base import Const, Example, OpContext
from ._rules import MOVE
from ._shape import dims, in_dtype, in_rank, ints, qspec, rand, with_quant

OP = "STRIDED_SLICE"
OPTIONS = "StridedSliceOptions"
QUANT = MOVE


def _bit(mask: int, i: int) -> bool:
    return bool((mask >> i) & 1)


_Params = tuple[list[int], list[int], list[int], int, int, int, list[int]]


def _params(o: dict, shape: tuple[int, ...], begin: list[int], end: list[int],
            strides: list[int]) -> _Params:
    """BuildStridedSliceParams: per effective dim start/stop/stride, the begin/end/shrink
    masks moved onto effective dims, and the effective input shape."""
    n = len(begin)
    ell_mask, new_mask = o.get("ellipsis_mask", 0), o.get("new_axis_mask", 0)
    num_add = sum(1 for i in range(n) if not _bit(ell_mask, i) and _bit(new_mask, i))
    rank = len(shape)
    eff = rank + num_add
    eff_ell = eff_new = 0
    ell_start, expanded = eff, 0
    i = 0
    while i < eff:
        if _bit(ell_mask, i):
            ell_start = i
            ell_end = max(i + 1, min(i + 1 + num_add + rank - n, eff))
            expanded = ell_end - ell_start - 1
            for j in range(i, ell_end):
                eff_ell |= 1 << j
            i = ell_end
            continue
        if _bit(new_mask, i - expanded):
            eff_new |= 1 << i
        i += 1

    start, stop, stride = [0] * eff, [0] * eff, [1] * eff
    bmask = emask = smask = 0
    eff_shape = [0] * eff
    added_ell = added_axes = 0
    for i in range(eff):
        if _bit(eff_ell, i):
            added_ell = max(0, i - ell_start)
            bmask |= 1 << i
            emask |= 1 << i
            eff_shape[i] = shape[i - added_axes]
        elif _bit(eff_new, i):
            stop[i] = 1
            eff_shape[i] = 1
            added_axes += 1
        elif i >= n + expanded:
            bmask |= 1 << i
            emask |= 1 << i
            eff_shape[i] = shape[i - added_axes]
        else:
            k = i - added_ell
            start[i], stop[i] = begin[k], end[k]
            stride[i] = strides[k]
            bmask |= _bit(o.get("begin_mask", 0), k) << i
            emask |= _bit(o.get("end_mask", 0), k) << i
            smask |= _bit(o.get("shrink_axis_mask", 0), k) << i
            eff_shape[i] = shape[i - added_axes]
    return start, stop, stride, bmask, emask, smask, eff_shape


def _start(b: int, stride: int, size: int, masked: bool) -> int:
    if b < 0:
        b += size
    b = min(max(b, 0), size) if stride > 0 else min(max(b, -1), size - 1)
    if masked:
        b = 0 if stride > 0 else size - 1
    return b


def _end(e: int, start: int, stride: int, size: int, masked: bool, shrink: bool,
         offset: bool) -> int:
    if shrink:
        return start if start >= size else start + 1
    if offset:
        e += start
    if e < 0:
        e += size
    e = min(max(e, 0), size) if stride > 0 else min(max(e, -1), size - 1)
    if masked:
        e = size if stride > 0 else -1
    return e


def _out_dim(d: int, stride: int) -> int:
    """ResizeOutputTensor's ceil-divide of an extent by the stride (C truncation)."""
    if (d < 0) != (stride < 0):
        return 0
    if stride < 0:
        return (d + 1) // stride + 1
    return 0 if d == 0 else (d - 1) // stride + 1


def run_float(ctx: OpContext, x: np.ndarray, begin: np.ndarray, end: np.ndarray,
              strides: np.ndarray) -> np.ndarray:
    o = ctx.options
    for name, t in (("begin", begin), ("end", end), ("strides", strides)):
        if np.asarray(t).dtype != np.int32 or np.asarray(t).ndim != 1:
            raise TypeError(f"STRIDED_SLICE {name} must be a 1-D int32 tensor")
    b, e, s = ints(begin), ints(end), ints(strides)
    if len(b) != len(e) or len(s) < len(b) or len(b) > 31:
        raise ValueError(f"STRIDED_SLICE: begin {b}, end {e}, strides {s} do not match")
    offset = bool(o.get("offset", False))
    if x.ndim == 0:
        return x.copy()

    # The slice depends only on the input shape and the (usually constant) begin/end/strides:
    # work it out once (it is mostly Python), then index with plain slices.
    key = (x.shape, tuple(b), tuple(e), tuple(s))
    hit = ctx.state.get("slice")
    if hit is None or hit[0] != key:
        hit = ctx.state["slice"] = (key, _slices(o, x.shape, b, e, s, offset))
    eff_shape, index, out_shape = hit[1]
    return x.reshape(eff_shape)[index].reshape(out_shape).copy()


run_int = run_float


def _slices(o: dict, shape: tuple[int, ...], b: list[int], e: list[int], s: list[int],
            offset: bool) -> tuple[list[int], tuple[slice, ...], list[int]]:
    """(effective input shape, one slice per effective dim, output shape)."""
    start, stop, st, bm, em, sm, eff_shape = _params(o, shape, b, e, s)
    if any(v == 0 for v in st):
        raise ValueError("STRIDED_SLICE: stride value has to be non-zero")
    index = []
    out_shape = []
    for i, size in enumerate(eff_shape):
        lo = _start(start[i], st[i], size, _bit(bm, i))
        hi = _end(stop[i], lo, st[i], size, _bit(em, i), _bit(sm, i), offset)
        r = range(lo, hi, st[i])  # the elements the copy loop visits
        if len(r) == 0:
            index.append(slice(0, 0))
        else:  # the same elements as a slice (a negative stop would wrap around)
            end_at = r[-1] + st[i]
            index.append(slice(r[0], end_at if end_at >= 0 else None, st[i]))
        if _bit(sm, i):
            continue
        if offset:
            # ResizeOutputTensor takes the raw end value at the effective dim index.
            if i >= len(e):
                raise ValueError("STRIDED_SLICE offset=true: LiteRT reads end past its length")
            out_shape.append(_out_dim(e[i], st[i]))
        else:
            out_shape.append(_out_dim(hi - lo, st[i]))
    count = 1
    for dim, sl in zip(eff_shape, index):
        count *= len(range(*sl.indices(dim)))
    if count != int(np.prod(out_shape)):
        raise ValueError(f"STRIDED_SLICE: output shape {out_shape} but the slice has "
                         f"{count} elements (LiteRT leaves the output partly unwritten)")
    return eff_shape, tuple(index), out_shape


def version(op: Operator) -> int:
    o, t = op.options, in_dtype(op)
    if o.get("offset"):
        v = 8
    elif t == "uint32":
        v = 7
    elif o.get("ellipsis_mask") or o.get("new_axis_mask"):
        v = 6
    elif t == "string":
        v = 5
    elif in_rank(op) > 4:
        v = 4
    else:
        v = {"bool": 3, "int8": 2}.get(t, 1)
    return min(v, 4)  # BUILTIN_REF registers STRIDED_SLICE up to v4


def _i32(*v: int) -> np.ndarray:
    return np.array(v, np.int32)


def _ex(x: np.ndarray, b: list[int], e: list[int], s: list[int], name: str,
        runtime: bool = False, **opts: int) -> Example:
    bb, ee, ss = _i32(*b), _i32(*e), _i32(*s)
    ins: list = [x, bb, ee, Const(ss)] if runtime else [x, Const(bb), Const(ee), Const(ss)]
    return Example(ins, dict(opts), name)


def _spec(rng: np.random.Generator, shape: list[int], strides: list[int]
          ) -> tuple[list[int], list[int]]:
    """Random begin/end giving a non-empty slice per dim (LiteRT's Python binding cannot read
    back an empty dynamic output), written in every form LiteRT accepts: negative indices and
    values beyond either end, which it clamps."""
    b, e = [], []
    for d, st in zip(shape, strides):
        lo = int(rng.integers(0, d))
        if st > 0:
            hi = int(rng.integers(lo + 1, d + 3))
            bb = lo - d if rng.random() < 0.5 else lo
            if lo == 0 and rng.random() < 0.5:
                bb = -d - 3
        else:
            hi = int(rng.integers(-1, lo))
            bb = lo - d if rng.random() < 0.5 else lo + (3 if lo == d - 1 else 0)
        if hi == -1:
            ee = -d - 1 - int(rng.integers(0, 3))
        elif hi < d and rng.random() < 0.5:
            ee = hi - d
        else:
            ee = hi
        b.append(bb)
        e.append(ee)
    return b, e


def _basic(rng: np.random.Generator) -> Example:
    shape = dims(rng, 4, 3, 7)
    s = [int(v) for v in rng.choice([-3, -2, -1, 1, 2, 3], 4)]
    b, e = _spec(rng, shape, s)
    return _ex(rand(rng, shape), b, e, s, "negative strides, clamping, masks",
               begin_mask=int(rng.integers(0, 16)), end_mask=int(rng.integers(0, 16)))


def _shrink(rng: np.random.Generator) -> Example:
    shape = dims(rng, 3, 2, 6)
    b = [int(rng.integers(-shape[0], shape[0])), 0, int(rng.integers(0, shape[2]))]
    return _ex(rand(rng, shape, "int32"), b, [0, shape[1], 0], [1, 1, 1],
               "shrink axes, negative index int32", shrink_axis_mask=0b101)


def _ellipsis(rng: np.random.Generator) -> Example:
    # spec [new_axis, 1:, ..., ::-2] on a 4-D input: the ellipsis covers the two middle dims.
    shape = dims(rng, 4, 2, 5)
    return _ex(rand(rng, shape, "bool"), [0, 1, 0, 0], [0, 0, 0, 0], [1, 1, 1, -2],
               "ellipsis and new axis bool", new_axis_mask=0b0001, ellipsis_mask=0b0100,
               end_mask=0b1010, begin_mask=0b1000)


def _offset(rng: np.random.Generator) -> Example:
    shape = dims(rng, 3, 3, 6)
    b = [int(rng.integers(0, d - 1)) for d in shape]
    n = [int(rng.integers(1, d - lo + 1)) for d, lo in zip(shape, b)]
    # Runtime begin only: with offset=true LiteRT sizes the output in Prepare from the end
    # values, before a run-time end tensor holds data.
    return Example([rand(rng, shape, "int8"), _i32(*b), Const(_i32(*n)), Const(_i32(1, 1, 1))],
                   {"offset": True}, "offset=true, runtime begin int8")


def _five_d(rng: np.random.Generator) -> Example:
    shape = dims(rng, 5, 2, 5)
    b, e = _spec(rng, shape, [1, 2, -1, 1, 3])
    return _ex(rand(rng, shape, "int64"), b, e, [1, 2, -1, 1, 3],
               "5-D runtime begin/end int64", runtime=True, end_mask=0b00100)


def _quantized(rng: np.random.Generator, dtype: str) -> Example:
    shape = [3] + dims(rng, 3, 3, 7)
    s = [1] + [int(v) for v in rng.choice([-2, -1, 1, 2], 3)]
    b, e = _spec(rng, shape, s)
    ex = _ex(rand(rng, shape, dtype), b, e, s, "", begin_mask=1, end_mask=1)
    return with_quant(ex, qspec(rng, dtype), name=f"quantized {dtype}, batch kept")


EXAMPLES = [_basic, _shrink, _ellipsis, _offset, _five_d,
            lambda rng: _quantized(rng, "int8"), lambda rng: _quantized(rng, "int16")]
