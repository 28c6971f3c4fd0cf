"""TFLite tensor element types and their NumPy counterparts.

Follows the ``TensorType`` enum of LiteRT's ``tflite/converter/schema/schema.fbs`` (codes up to
FLOAT8_E5M2 = 22; the ``tflite`` package on PyPI stops at BFLOAT16 = 18). Types without a NumPy
equivalent (STRING, RESOURCE, VARIANT, the sub-byte and fp8 types) keep their raw bytes as uint8.
"""

from __future__ import annotations

import numpy as np

# TensorType code -> edgequant dtype name.
TYPE_NAMES: dict[int, str] = {
    0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 5: "string", 6: "bool",
    7: "int16", 8: "complex64", 9: "int8", 10: "float64", 11: "complex128", 12: "uint64",
    13: "resource", 14: "variant", 15: "uint32", 16: "uint16", 17: "int4", 18: "bfloat16",
    19: "int2", 20: "uint4", 21: "float8_e4m3fn", 22: "float8_e5m2",
}
TYPE_CODES: dict[str, int] = {name: code for code, name in TYPE_NAMES.items()}

# Types whose constant data is a plain NumPy array of this dtype.
_NUMPY: dict[str, np.dtype] = {
    name: np.dtype(name)
    for name in ("float32", "float16", "int32", "uint8", "int64", "bool", "int16", "complex64",
                 "int8", "float64", "complex128", "uint64", "uint32", "uint16")
}


def type_name(code: int) -> str:
    """Name of a TensorType code; unknown codes (a newer schema) become ``type<code>``."""
    return TYPE_NAMES.get(code, f"type{code}")


def type_code(name: str) -> int:
    """TensorType code of a dtype name (inverse of :func:`type_name`)."""
    if name in TYPE_CODES:
        return TYPE_CODES[name]
    if name.startswith("type") and name[4:].isdigit():
        return int(name[4:])
    raise ValueError(f"unknown tensor dtype {name!r}; expected one of {sorted(TYPE_CODES)}")


def to_numpy(name: str) -> np.dtype | None:
    """NumPy dtype holding values of this TFLite type, or None when there is none.

    int4 is unpacked to int8 by the reader, so it maps to int8 here.
    """
    if name == "int4":
        return np.dtype(np.int8)
    return _NUMPY.get(name)


def from_numpy(dtype: np.dtype | type | str) -> str:
    """edgequant dtype name for a NumPy dtype (or dtype-like)."""
    dt = np.dtype(dtype)
    for name, ndt in _NUMPY.items():
        if ndt == dt:
            return name
    raise ValueError(f"NumPy dtype {dt} has no TFLite tensor type")


def qrange(name: str, narrow: bool = False) -> tuple[int, int]:
    """(qmin, qmax) of an integer type; ``narrow`` drops the most negative code (weights)."""
    ranges = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767),
              "int32": (-(2**31), 2**31 - 1), "int4": (-8, 7), "uint4": (0, 15), "int2": (-2, 1),
              "int64": (-(2**63), 2**63 - 1)}
    if name not in ranges:
        raise ValueError(f"{name} is not a quantized integer type")
    lo, hi = ranges[name]
    return (lo + 1 if narrow else lo), hi


def unpack_int4(raw: np.ndarray, count: int) -> np.ndarray:
    """Unpack TFLite's int4 layout (two values per byte, low nibble first) to int8."""
    raw = raw.astype(np.uint8, copy=False)
    low = (raw & 0x0F).astype(np.int8)
    high = (raw >> 4).astype(np.int8)
    both = np.empty(raw.size * 2, dtype=np.int8)
    both[0::2] = low
    both[1::2] = high
    both = np.where(both > 7, both - 16, both).astype(np.int8)
    return both[:count]


def pack_int4(values: np.ndarray) -> np.ndarray:
    """Pack int8 values in [-8, 7] two per byte, low nibble first (inverse of unpack_int4)."""
    flat = values.astype(np.int8, copy=False).ravel()
    if flat.size and (flat.min() < -8 or flat.max() > 7):
        raise ValueError("int4 values must lie in [-8, 7]")
    if flat.size % 2:
        flat = np.concatenate([flat, np.zeros(1, np.int8)])
    nib = (flat.astype(np.int16) & 0x0F).astype(np.uint8)
    return (nib[0::2] | (nib[1::2] << 4)).astype(np.uint8)
