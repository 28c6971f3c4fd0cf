"""Op versions and the ``min_runtime_version`` metadata of a written model.

After a rewrite, every op gets the version TFLite's converter would give it
(``tflite/converter/tools/versioning/op_version.cc``): each op file's ``version(op)`` encodes
that function's rules (clamped to what LiteRT's BUILTIN_REF resolver registers). Versions only
ever go up, as in ``UpdateOpVersion``. ``min_runtime_version`` is then the largest runtime
version over all (op, version) pairs, from ``runtime_version.cc``'s table; as in
``UpdateMinimumRuntimeVersionForModel`` only an existing 16-byte buffer is overwritten, and
(since our table lists only the ops we write) the string never goes down.
"""

from __future__ import annotations

from . import ops
from .ir import Model

# (op, version) -> first runtime version (runtime_version.cc), for the ops edgequant writes.
_RUNTIME: dict[str, dict[int, str]] = {
    "ADD": {1: "1.5.0", 2: "1.14.0", 3: "2.4.0", 4: "2.6.0", 5: "2.13.0"},
    "SUB": {1: "1.6.0", 2: "1.14.0", 3: "2.3.0", 4: "2.4.0", 5: "2.4.0"},
    "MUL": {1: "1.5.0", 2: "1.14.0", 3: "1.15.0", 4: "2.3.0", 5: "2.6.0"},
    "CONV_2D": {1: "1.5.0", 2: "1.14.0", 3: "1.14.0", 5: "2.4.0", 6: "2.9.0", 7: "2.11.0",
                8: "2.15.0"},
    "DEPTHWISE_CONV_2D": {1: "1.5.0", 2: "1.12.0", 3: "1.14.0", 4: "2.2.0", 5: "2.3.0",
                          6: "2.3.0", 7: "2.11.0"},
    "TRANSPOSE_CONV": {1: "1.9.0", 2: "2.2.0", 3: "2.3.0", 4: "2.13.0", 5: "2.15.0"},
    "FULLY_CONNECTED": {1: "1.5.0", 2: "1.10.0", 3: "1.14.0", 4: "1.14.0", 5: "2.0.0",
                        6: "2.1.0", 7: "2.3.0", 8: "2.3.0", 9: "2.3.0", 10: "2.11.0",
                        11: "2.15.0", 12: "2.17.0", 13: "2.18.0", 14: "2.21.0"},
    "BATCH_MATMUL": {1: "2.3.0", 2: "2.3.0", 3: "2.4.0", 4: "2.5.0"},
    "EMBEDDING_LOOKUP": {1: "1.13.0", 4: "2.18.0", 5: "2.21.0"},
    "GATHER": {1: "1.6.0", 2: "1.14.0", 4: "2.4.0", 5: "2.5.0", 6: "2.13.0"},
    "UNIDIRECTIONAL_SEQUENCE_LSTM": {1: "1.13.1", 2: "1.14.0", 3: "2.3.0", 4: "2.12.0"},
    "DEQUANTIZE": {1: "1.13.1", 2: "1.14.0", 3: "1.15.0", 5: "2.7.0", 6: "2.18.0"},
    "QUANTIZE": {1: "1.14.0", 2: "1.15.0", 3: "2.7.0"},
    "MAX_POOL_2D": {1: "1.5.0", 2: "1.14.0", 3: "2.3.0"},
    "AVERAGE_POOL_2D": {1: "1.5.0", 2: "1.14.0", 3: "2.3.0"},
    "SOFTMAX": {1: "1.5.0", 2: "1.14.0", 3: "2.3.0"},
    "RESHAPE": {1: "1.5.0"},
    "CONCATENATION": {1: "1.5.0", 2: "1.14.0", 3: "2.3.0"},
    "MEAN": {1: "1.6.0", 2: "1.14.0", 3: "2.4.0"},
    "PAD": {1: "1.5.0", 2: "1.14.0", 3: "2.4.0", 4: "2.6.0"},
    "LOGISTIC": {1: "1.14.0", 2: "1.14.0", 3: "2.3.0"},
    "TANH": {1: "1.14.0", 2: "1.14.0", 3: "2.3.0"},
    "WHILE": {1: "1.15.0"},
}


def _parse(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split(".") if p.isdigit())


def update_op_versions(model: Model) -> None:
    """Raise each op's version to what its op file's ``version()`` says (never lower it)."""
    for _, _, op in model.operators():
        mod = ops.get(op.type)
        fn = getattr(mod, "version", None) if mod is not None else None
        if fn is not None:
            op.version = max(op.version, int(fn(op)))


def min_runtime_version(model: Model) -> str | None:
    best: str | None = None
    for _, _, op in model.operators():
        v = _RUNTIME.get(op.type, {}).get(op.version)
        if v is not None and (best is None or _parse(v) > _parse(best)):
            best = v
    return best


def update_min_runtime_version(model: Model) -> None:
    """Overwrite an existing ``min_runtime_version`` metadata buffer (16 bytes, NUL padded)."""
    old = model.metadata.get("min_runtime_version")
    new = min_runtime_version(model)
    if old is None or new is None or len(new) >= 16:
        return
    # Our table covers the ops we write; never lower what the source model already needed.
    before = old.split(b"\0", 1)[0].decode("ascii", "replace")
    if _parse(before) >= _parse(new):
        return
    model.metadata["min_runtime_version"] = new.encode("ascii").ljust(len(old), b"\0")
