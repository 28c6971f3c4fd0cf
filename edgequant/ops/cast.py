"""CAST: convert a tensor to the output tensor's type (tflite/kernels/cast.cc, copyToTensor).

The output type comes from the output tensor; CastOptions is informational. Semantics of the
LiteRT 2.3 kernel, which differ from NumPy's ``astype``:
* float -> integer truncates toward zero and *saturates* (SafeCast): out-of-range values give
  the type's min/max, NaN gives max (NumPy yields INT_MIN or wraps);
* float -> int4 clamps to [-8, 7] first (NaN -> 7); int4 input only converts to float32;
* anything -> float16 goes through float32 first (float64/int64 are rounded twice);
* complex64 -> real types uses the real part only (also for bool: imag is ignored);
* integer -> narrower integer wraps, -> bool is ``!= 0``; bool -> numbers is 0/1.

Quantization parameters are ignored: a quantized int8 / int16 tensor converts its raw codes
(``run_int`` is the same kernel), so CAST never dequantizes. A quantizer must therefore leave
CAST's tensors as they are (``KEEP``) rather than quantize them.
"""

from __future__ import annotations

import numpy as np

from ._base import Example, OpContext, randn
from ._elementwise import in_type, out_type
from ._rules import KEEP, Quant
from ._shape import qrand

OP = "CAST"
OPTIONS = "CastOptions"
QUANT = Quant(inputs=(KEEP,), outputs=KEEP)

_TYPES = ("float32", "float16", "float64", "int64", "int32", "uint32", "int16", "uint16",
          "uint8", "int8", "bool", "complex64")


def _saturate(x: np.ndarray, dt: np.dtype) -> np.ndarray:
    info = np.iinfo(dt)
    xf = x.astype(np.float64)  # exact for float16/32/64
    hi_excl = float(info.max // 2 + 1) * 2  # IntOut's exclusive bound, a power of two
    out = np.full(x.shape, info.max, dtype=dt)  # NaN and too large -> max
    out[xf < info.min] = info.min
    ok = (xf >= info.min) & (xf < hi_excl)
    out[ok] = np.trunc(xf[ok]).astype(dt)
    return out


def run_float(ctx: OpContext, x: np.ndarray) -> np.ndarray:
    src, dst = in_type(ctx.op), out_type(ctx.op)
    out_dt = ctx.output_dtype()
    if src == "int4":
        if dst != "float32":
            raise TypeError(f"CAST: LiteRT casts int4 only to float32, not {dst}")
        return x.astype(np.float32)
    if dst == "int4":
        if x.dtype != np.float32:
            raise TypeError(f"CAST: LiteRT casts to int4 only from float32, not {x.dtype.name}")
        # std::max(-8, std::min(7, x)) keeps 7 for NaN, then static_cast truncates.
        c = np.where(np.isnan(x), np.float32(7), np.clip(x, -8, 7))
        return np.trunc(c).astype(np.int8)
    for t in (x.dtype.name, out_dt.name):
        if t not in _TYPES:
            raise TypeError(f"CAST: LiteRT has no cast for {t}")
    if x.dtype.kind == "c" and out_dt.kind != "c":
        x = x.real
    if out_dt == np.float16 and x.dtype != np.float16:
        x = x.astype(np.float32)
    if x.dtype.kind == "f" and out_dt.kind in "iu":
        return _saturate(x, out_dt)
    with np.errstate(all="ignore"):
        return x.astype(out_dt)


run_int = run_float


def version(op) -> int:
    ts = (in_type(op), out_type(op))
    if any(t.startswith("float8") for t in ts):
        return 9
    if any(t in ("int2", "uint4") for t in ts):
        return 8
    if "bfloat16" in ts:
        return 7
    if ts == ("int4", "float32"):
        return 6
    if any(t in ("float64", "float16") for t in ts):
        return 5
    if "uint16" in ts:
        return 4
    if "int8" in ts:
        return 3
    return 2 if "uint32" in ts else 1


def _ex(x: np.ndarray, out: str, name: str) -> Example:
    return Example([x], {"in_data_type": x.dtype.name, "out_data_type": out}, name,
                   output_dtypes=[out])


def _q(ex: Example, quant: dict) -> Example:
    ex.quant = quant
    return ex


_EDGES = np.array([1.7, -1.7, -0.5, 3e9, -3e9, np.inf, -np.inf, np.nan, 2**31 - 64, 128.5],
                  np.float32)

EXAMPLES = [
    lambda rng: _ex(np.concatenate([randn(rng, 6, scale=100.0), _EDGES]), "int32",
                    "float32->int32 truncates, saturates, NaN->max"),
    lambda rng: _ex(np.concatenate([randn(rng, 6, scale=200.0), _EDGES]), "uint8",
                    "float32->uint8 saturates"),
    lambda rng: _ex(np.concatenate([rng.integers(-2**40, 2**40, 6), [2**31, -2**31 - 1]]
                                   ).astype(np.int64), "int32", "int64->int32 wraps"),
    lambda rng: _ex(rng.integers(-2**31, 2**31 - 1, (3, 4)).astype(np.int32), "float32",
                    "int32->float32 rounds"),
    lambda rng: _ex(np.concatenate([randn(rng, 4), [0.0, -0.0, np.nan, 1e-45]]).astype(
        np.float32), "bool", "float32->bool"),
    lambda rng: _ex(rng.random((2, 3)) < 0.5, "float32", "bool->float32"),
    lambda rng: _q(_ex(qrand(rng, (3, 5)), "float32", "quantized int8->float32: raw codes"),
                   {"in0": (0.1, 3)}),
    lambda rng: _q(_ex(qrand(rng, (2, 4), "int16"), "int32", "quantized int16->int32"),
                   {"in0": (0.001, 0)}),
    lambda rng: _q(_ex(np.concatenate([randn(rng, 6, scale=100.0), _EDGES]), "int8",
                       "float32->quantized int8 saturates, scale ignored"),
                   {"out0": (0.05, -7)}),
]
