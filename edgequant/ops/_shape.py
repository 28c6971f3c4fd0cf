"""Shared helpers for the data-movement ops (SQUEEZE, TRANSPOSE, SLICE, PAD, GATHER, ...).

These kernels move values without arithmetic, so one implementation serves every dtype
LiteRT accepts (it dispatches on element size, not type). What they share: reading small
index tensors (axis, begin, paddings, ...) as Python ints, normalising negative axes the way
the TFLite kernels do, the constant padding PAD and PADV2 share, the op-signature lookups
their ``version()`` functions need, and random data for the examples.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import randn

if TYPE_CHECKING:
    from ..ir import Operator, Tensor
    from ._base import Example


def ints(x: np.ndarray | None, what: str = "index tensor") -> list[int]:
    """A small integer tensor (axis, begin, perm, paddings, ...) as a flat list of ints."""
    if x is None:
        raise ValueError(f"{what} is missing")
    a = np.asarray(x)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{what} must be an integer tensor, got {a.dtype}")
    return [int(v) for v in a.ravel()]


def scalar_int(x: np.ndarray, what: str = "axis") -> int:
    """The single value of a one-element integer tensor (TFLite reads element 0)."""
    vals = ints(x, what)
    if len(vals) != 1:
        raise ValueError(f"{what} must hold exactly one value, got {len(vals)}")
    return vals[0]


def norm_axis(axis: int, rank: int, what: str = "axis") -> int:
    """``axis`` in [-rank, rank) mapped to [0, rank); anything else is an error."""
    a = axis + rank if axis < 0 else axis
    if not 0 <= a < rank:
        raise ValueError(f"{what} {axis} is out of range for rank {rank}")
    return a


def require_dtype(x: np.ndarray, allowed: str, op: str) -> None:
    """Raise unless ``x.dtype`` is one of the space-separated NumPy dtype names in
    ``allowed`` (the types the LiteRT kernel's Prepare accepts)."""
    if x.dtype.name not in allowed.split():
        raise TypeError(f"{op}: LiteRT has no kernel for {x.dtype} (supports {allowed})")


def pad_widths(paddings: np.ndarray, rank: int, op: str) -> list[tuple[int, int]]:
    """A [rank, 2] paddings tensor as (before, after) pairs; negative widths are an error
    in PAD, PADV2 and MIRROR_PAD alike."""
    p = np.asarray(paddings)
    if p.ndim != 2 or p.shape != (rank, 2):
        raise ValueError(f"{op}: paddings shape {list(p.shape)} must be [{rank}, 2]")
    vals = ints(p, f"{op} paddings")
    pairs = list(zip(vals[0::2], vals[1::2]))
    if any(a < 0 or b < 0 for a, b in pairs):
        raise ValueError(f"{op}: paddings must be >= 0, got {pairs}")
    return pairs


PAD_TYPES = "float32 float16 uint8 int8 int16 int32 int64 bool"


def pad_constant(op: str, x: np.ndarray, paddings: np.ndarray, value: np.ndarray
                 ) -> np.ndarray:
    """PAD / PADV2: constant padding, at most 5 dims (PadKernelMaxDimensionCount)."""
    require_dtype(x, PAD_TYPES, op)
    if x.ndim > 5:
        raise ValueError(f"{op} supports at most 5 dimensions, got {x.ndim}")
    widths = pad_widths(paddings, x.ndim, op)
    shape = tuple(d + a + b for d, (a, b) in zip(x.shape, widths))
    # Fill, then copy the input in: 2x faster than np.pad, which is mostly Python overhead.
    v = np.asarray(value, dtype=x.dtype)
    if v.tobytes() == bytes(v.itemsize):  # all-zero bits (not -0.0): calloc'ed zeros
        out = np.zeros(shape, x.dtype)
    else:
        out = np.full(shape, v, x.dtype)
    out[tuple(slice(a, a + d) for d, (a, _) in zip(x.shape, widths))] = x
    return out


def pad_value_int(op: Operator, x: np.ndarray, constant_values: np.ndarray | None
                  ) -> np.ndarray:
    """The value PAD / PADV2 pad integer codes with (pad.cc Eval / EvalInt): a quantized int8 or
    int16 input (and any uint8 one) pads with ``constant_values``, whose scale and zero point
    must then equal the output's, or without it with the output zero point (0 must be
    representable); an unquantized input pads with ``constant_values`` or 0."""
    in_t, out_t = op.inputs[0], op.outputs[0]
    quantized = in_t is not None and in_t.quantization is not None and (
        in_t.quantization.scale is not None and in_t.quantization.scale.size > 0)
    if not quantized and x.dtype != np.uint8:
        return np.zeros((), x.dtype) if constant_values is None else constant_values
    if constant_values is not None:
        require_same_quant(op.type, op.inputs[2], out_t)
        return constant_values
    zp = legacy_qparams(out_t)[1]
    info = np.iinfo(x.dtype)
    if not info.min <= zp <= info.max:
        raise ValueError(f"{op.type}: output zero point {zp} does not fit {x.dtype}")
    return np.array(zp, x.dtype)


def pad_version(op: Operator) -> int:
    """op_version.cc's shared PAD / PADV2 rule."""
    t = in_dtype(op)
    if t == "bool":
        return 5
    if in_rank(op) > 4:
        return 4
    return {"int16": 3, "int8": 2}.get(t, 1)


def rand_pads(rng: np.random.Generator, shape: list[int], most: int = 3,
              dtype: str = "int32") -> np.ndarray:
    """Random [rank, 2] paddings, each width in [0, most] (and at most the dim size)."""
    return np.array([[int(rng.integers(0, min(most, d) + 1)) for _ in range(2)] for d in shape],
                    dtype).reshape(len(shape), 2)


# -- op signature helpers for version() --------------------------------------------------------
def in_dtype(op: Operator, i: int = 0) -> str:
    """dtype name of input ``i`` ('' when absent)."""
    t = op.inputs[i] if i < len(op.inputs) else None
    return t.dtype if t is not None else ""


def in_rank(op: Operator, i: int = 0) -> int:
    t = op.inputs[i] if i < len(op.inputs) else None
    return len(t.shape) if t is not None else 0


# -- example data -----------------------------------------------------------------------------
def rand(rng: np.random.Generator, shape: tuple[int, ...] | list[int], dtype: str = "float32"
         ) -> np.ndarray:
    """Random test data of any dtype the data-movement kernels take."""
    dt = np.dtype(dtype)
    shape = tuple(shape)
    if dt.kind == "f":
        return randn(rng, *shape).astype(dt)
    if dt == np.bool_:
        return rng.random(shape) < 0.5
    info = np.iinfo(dt)
    lo, hi = max(info.min, -1000), min(info.max, 1000)
    return rng.integers(lo, hi, shape, endpoint=True).astype(dt)


def dims(rng: np.random.Generator, rank: int, lo: int = 1, hi: int = 5) -> list[int]:
    """A random shape of ``rank`` dimensions, each in [lo, hi]."""
    return [int(d) for d in rng.integers(lo, hi + 1, rank)]


# -- quantized tensors ------------------------------------------------------------------------
# The data-movement kernels copy raw integer codes, so their integer kernel is the float one
# (``run_int = run_float``). What differs is the Prepare-time checks some of them make on the
# quantization parameters, reproduced by these helpers.

def legacy_qparams(t: Tensor | None) -> tuple[np.float32, int]:
    """(scale, zero point) as LiteRT's ``TfLiteTensor.params`` holds them: the first entry of
    the table, (0, 0) without one. Kernels compare these with exact equality."""
    s, z = (0.0, 0) if t is None else t.qparams
    return np.float32(s), int(z)


def require_same_quant(op: str, a: Tensor | None, b: Tensor | None) -> None:
    """TF_LITE_ENSURE_EQ on the scales and zero points of ``a`` and ``b``."""
    qa, qb = legacy_qparams(a), legacy_qparams(b)
    if qa != qb:
        raise ValueError(
            f"{op}: {getattr(a, 'name', '?')!r} is quantized as (scale {float(qa[0])!r}, zero "
            f"point {qa[1]}) but {getattr(b, 'name', '?')!r} as (scale {float(qb[0])!r}, zero "
            f"point {qb[1]}); LiteRT's kernel requires them to be equal")


def require_zero_point_0(op: str, *tensors: Tensor | None) -> None:
    """The int16 kernels' TF_LITE_ENSURE_EQ(zero_point, 0) on each of ``tensors``."""
    for t in tensors:
        if t is not None and t.dtype == "int16" and legacy_qparams(t)[1] != 0:
            raise ValueError(f"{op}: int16 tensor {t.name!r} has zero point "
                             f"{legacy_qparams(t)[1]}; LiteRT's int16 kernel requires 0")


def qrand(rng: np.random.Generator, shape: tuple[int, ...] | list[int], dtype: str = "int8"
          ) -> np.ndarray:
    """Random codes over the whole range of a quantized type (int8 / int16)."""
    info = np.iinfo(np.dtype(dtype))
    return rng.integers(info.min, info.max, tuple(shape), endpoint=True).astype(dtype)


def qspec(rng: np.random.Generator, dtype: str = "int8") -> tuple[float, int]:
    """A random (scale, zero point) for examples: int16 gets zero point 0, as LiteRT's 16x8
    kernels expect."""
    scale = float(np.float32(rng.uniform(0.002, 0.2)))
    return scale, 0 if dtype == "int16" else int(rng.integers(-100, 101))


def with_quant(ex: Example, spec: tuple[float, int], ins: tuple[int, ...] = (0,),
               name: str = "") -> Example:
    """``ex`` with quantization ``spec`` on inputs ``ins`` and on every output (the tensors a
    data-movement op moves unchanged), optionally renamed."""
    ex.quant = {**{f"in{i}": spec for i in ins},
                **{f"out{j}": spec for j in range(ex.num_outputs)}}
    if name:
        ex.name = name
    return ex
