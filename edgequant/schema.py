"""Builtin operator names and a reflection-based codec for every builtin options table.

The ``tflite`` package (generated from LiteRT's ``schema.fbs``) has readers and builders but no
object API. Every options table ``XxxOptions`` comes with builder functions
``XxxOptionsAdd<Field>(builder, value)`` whose bodies name the slot, the scalar kind and the
default (``builder.PrependInt8Slot(0, padding, 0)``), and with reader methods ``<Field>()`` /
``<Field>AsNumpy()``. We read those once per table, so the ~150 options tables (BuiltinOptions
and BuiltinOptions2) are decoded to and encoded from plain dicts without a line per table.

Readable form: snake_case keys; enum fields as their names ('SAME', 'RELU6', 'int8'); vectors
as lists of ints/floats; strings as str; fields ending in ``subgraph_index`` are resolved to
Subgraph objects by the reader (``tflite_io``), not here.
"""

from __future__ import annotations

import functools
import inspect
import re
import sys
from dataclasses import dataclass
from typing import Any

import flatbuffers
import numpy as np
import tflite

from . import dtypes

# -- operator codes --------------------------------------------------------------------------
OP_NAMES: dict[int, str] = {
    v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")
}
OP_CODES: dict[str, int] = {v: k for k, v in OP_NAMES.items()}

# Opcode 127 is PLACEHOLDER_FOR_GREATER_OP_CODES: the deprecated int8 field holds it for codes
# above 127, and the real code lives in the int32 ``builtin_code`` field (schema_utils.cc).
PLACEHOLDER_FOR_GREATER_OP_CODES = 127


def op_name(code: int) -> str:
    return OP_NAMES.get(code, f"BUILTIN_{code}")


def op_code(name: str) -> int:
    if name in OP_CODES:
        return OP_CODES[name]
    if name.startswith("BUILTIN_") and name[8:].isdigit():
        return int(name[8:])
    raise ValueError(f"unknown builtin operator {name!r}")


# -- enums shown by name ---------------------------------------------------------------------
def _enum(cls: type) -> dict[int, str]:
    return {v: k for k, v in vars(cls).items() if not k.startswith("_")}


_ENUM_FIELDS: dict[str, dict[int, str]] = {
    "padding": _enum(tflite.Padding),
    "fused_activation_function": _enum(tflite.ActivationFunctionType),
    "weights_format": _enum(tflite.FullyConnectedOptionsWeightsFormat),
    "kernel_type": _enum(tflite.LSTMKernelType),
    "combiner": _enum(tflite.CombinerType),
    "compare_type": _enum(tflite.StablehloComparisonType),
}
# (table, field) pairs whose generic name ('mode', 'type') would be ambiguous.
_TABLE_ENUM_FIELDS: dict[tuple[str, str], dict[int, str]] = {
    ("MirrorPadOptions", "mode"): _enum(tflite.MirrorPadMode),
    ("LSHProjectionOptions", "type"): _enum(tflite.LSHProjectionType),
}
_DTYPE_FIELDS = frozenset({
    "output_type", "in_data_type", "out_data_type", "quantized_bias_type", "key_dtype",
    "value_dtype", "out_type", "idx_out_type",
})

_UNION_NAMES: dict[int, str] = _enum(tflite.BuiltinOptions)
_UNION_CODES: dict[str, int] = {v: k for k, v in _UNION_NAMES.items()}
_UNION2_NAMES: dict[int, str] = _enum(tflite.BuiltinOptions2)
_UNION2_CODES: dict[str, int] = {v: k for k, v in _UNION2_NAMES.items()}


def _snake(camel: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", camel)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


@dataclass(frozen=True)
class _Field:
    camel: str  # generated accessor name
    snake: str
    kind: str  # 'scalar' | 'vector' | 'string'
    prepend: str  # builder method for scalars ('PrependInt8Slot')
    elem: np.dtype | None  # vector element type


@dataclass(frozen=True)
class _Table:
    name: str
    cls: type
    fields: tuple[_Field, ...]
    module: Any


_ADD_RE = r"def {t}Add(\w+)\(builder, \w+\):\n\s+builder\.(\w+)\((\d+), "
_NP_RE = (r"def {f}AsNumpy\(self\):\n(?:.*\n){{1,3}}?.*"
          r"GetVectorAsNumpy\(flatbuffers\.number_types\.(\w+)Flags")
_FLAGS_TO_NP = {
    "Int8": np.int8, "Uint8": np.uint8, "Int16": np.int16, "Uint16": np.uint16,
    "Int32": np.int32, "Uint32": np.uint32, "Int64": np.int64, "Uint64": np.uint64,
    "Float32": np.float32, "Float64": np.float64, "Bool": np.bool_,
}


@functools.lru_cache(maxsize=None)
def table(name: str) -> _Table:
    """Field layout of one generated options table, read from its module once."""
    module = sys.modules.get(f"tflite.{name}")
    if module is None:
        raise KeyError(name)
    src = inspect.getsource(module)
    fields = []
    for m in re.finditer(_ADD_RE.format(t=name), src):
        camel, prepend, _slot = m.group(1), m.group(2), int(m.group(3))
        if prepend == "PrependUOffsetTRelativeSlot":
            if f"def {name}Start{camel}Vector(" in src:
                em = re.search(_NP_RE.format(f=camel), src)
                if em is None:  # a vector of tables: not used by any options table today
                    raise RuntimeError(f"{name}.{camel}: unsupported vector kind")
                fields.append(_Field(camel, _snake(camel), "vector", prepend,
                                     np.dtype(_FLAGS_TO_NP[em.group(1)])))
            else:
                fields.append(_Field(camel, _snake(camel), "string", prepend, None))
        else:
            fields.append(_Field(camel, _snake(camel), "scalar", prepend, None))
    return _Table(name, getattr(module, name), tuple(fields), module)


def _enum_map(table_name: str, key: str) -> dict[int, str] | None:
    return _TABLE_ENUM_FIELDS.get((table_name, key)) or _ENUM_FIELDS.get(key)


def _decode_value(table_name: str, f: _Field, raw: Any) -> Any:
    if f.kind == "scalar":
        if f.snake in _DTYPE_FIELDS:
            return dtypes.type_name(int(raw))
        names = _enum_map(table_name, f.snake)
        if names is not None:
            return names.get(int(raw), int(raw))
        return raw
    return raw


def _encode_value(table_name: str, f: _Field, value: Any) -> Any:
    if f.snake in _DTYPE_FIELDS and isinstance(value, str):
        return dtypes.type_code(value)
    names = _enum_map(table_name, f.snake)
    if names is not None and isinstance(value, str):
        codes = {v: k for k, v in names.items()}
        if value not in codes:
            raise ValueError(f"{table_name}.{f.snake}: {value!r} is not one of {sorted(codes)}")
        return codes[value]
    return value


def union_name(code: int, second: bool = False) -> str | None:
    names = _UNION2_NAMES if second else _UNION_NAMES
    return names.get(code) if code else None


def union_code(name: str | None, second: bool = False) -> int:
    if not name:
        return 0
    codes = _UNION2_CODES if second else _UNION_CODES
    if name not in codes:
        raise ValueError(f"unknown options table {name!r}")
    return codes[name]


def decode_options(name: str, tab: flatbuffers.table.Table) -> dict[str, Any]:
    """Decode the options table ``name`` at ``tab`` into a dict (see module docstring)."""
    t = table(name)
    obj = t.cls()
    obj.Init(tab.Bytes, tab.Pos)
    out: dict[str, Any] = {}
    for f in t.fields:
        if f.kind == "vector":
            arr = getattr(obj, f.camel + "AsNumpy")()
            out[f.snake] = [] if isinstance(arr, int) else arr.tolist()
        elif f.kind == "string":
            s = getattr(obj, f.camel)()
            out[f.snake] = None if s is None else s.decode("utf-8", "surrogateescape")
        else:
            out[f.snake] = _decode_value(name, f, getattr(obj, f.camel)())
    return out


def encode_options(builder: flatbuffers.Builder, name: str, options: dict[str, Any]) -> int:
    """Write ``options`` as table ``name``; returns its offset. Unknown keys are an error."""
    t = table(name)
    known = {f.snake for f in t.fields}
    extra = set(options) - known
    if extra:
        raise ValueError(f"{name} has no field(s) {sorted(extra)}; fields are {sorted(known)}")
    # Vectors and strings must be built before the table is started.
    offsets: dict[str, int] = {}
    for f in t.fields:
        value = options.get(f.snake)
        if value is None:
            continue
        if f.kind == "vector":
            offsets[f.snake] = builder.CreateNumpyVector(np.asarray(value, dtype=f.elem).ravel())
        elif f.kind == "string":
            offsets[f.snake] = builder.CreateString(
                value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value)
    getattr(t.module, f"{name}Start")(builder)
    for f in t.fields:
        if f.snake not in options or options[f.snake] is None:
            continue
        adder = getattr(t.module, f"{name}Add{f.camel}")
        if f.kind == "scalar":
            value = _encode_value(name, f, options[f.snake])
            if isinstance(value, (np.generic,)):
                value = value.item()
            adder(builder, value)
        else:
            adder(builder, offsets[f.snake])
    return getattr(t.module, f"{name}End")(builder)


def default_options(name: str) -> dict[str, Any]:
    """Every field of table ``name`` at its schema default (what an empty table reads as)."""
    b = flatbuffers.Builder(64)
    getattr(table(name).module, f"{name}Start")(b)
    off = getattr(table(name).module, f"{name}End")(b)
    b.Finish(off)
    buf = bytes(b.Output())
    pos = flatbuffers.encode.Get(flatbuffers.packer.uoffset, buf, 0)
    return decode_options(name, flatbuffers.table.Table(buf, pos))
