"""What is in a model: I/O, op histogram with versions, dtypes, weight bytes, subgraphs.

Backs ``edgequant inspect``. The quantization shown for I/O follows tf.lite.Interpreter's
``get_input_details()``: (scale, zero_point) for per-tensor tables.
"""

from __future__ import annotations

from collections import Counter
from typing import Any


from .ir import Model, Tensor


def _min_runtime_version(model: Model) -> str | None:
    blob = model.metadata.get("min_runtime_version")
    if blob is None:
        return None
    return blob.split(b"\0", 1)[0].decode("ascii", "replace")


def tensor_info(t: Tensor) -> dict[str, Any]:
    info: dict[str, Any] = {"name": t.name, "shape": list(t.shape), "dtype": t.dtype}
    if t.shape_signature is not None and list(t.shape_signature) != list(t.shape):
        info["shape_signature"] = list(t.shape_signature)
    q = t.quantization
    if q is not None and q.scale is not None and q.scale.size:
        if q.per_axis:
            info["quantization"] = {"per_axis": True, "axis": q.quantized_dimension,
                                    "channels": int(q.scale.size)}
        else:
            scale, zp = q.as_tuple()
            info["quantization"] = {"scale": scale, "zero_point": zp}
    return info


def summarize(model: Model, *, file_size: int | None = None) -> dict[str, Any]:
    """A JSON-ready description of ``model``."""
    ops: Counter[str] = Counter()
    dtype_hist: Counter[str] = Counter()
    weight_bytes: Counter[str] = Counter()
    seen: set[int] = set()
    subgraphs = []
    for sg in model.subgraphs:
        for op in sg.operators:
            label = op.type if op.type != "CUSTOM" else f"CUSTOM:{op.custom_code}"
            ops[f"{label} v{op.version}"] += 1
        tensors = list(sg.all_tensors())
        for t in tensors:
            dtype_hist[t.dtype] += 1
            if t.data is not None and id(t.data) not in seen:
                seen.add(id(t.data))
                nbytes = (t.data.size + 1) // 2 if t.dtype == "int4" else t.data.nbytes
                weight_bytes[t.dtype] += int(nbytes)
        subgraphs.append({"name": sg.name, "operators": len(sg.operators),
                          "tensors": len(tensors),
                          "inputs": [t.name for t in sg.inputs],
                          "outputs": [t.name for t in sg.outputs]})
    main = model.main
    out: dict[str, Any] = {
        "description": model.description,
        "schema_version": model.version,
        "inputs": [tensor_info(t) for t in main.inputs],
        "outputs": [tensor_info(t) for t in main.outputs],
        "ops": dict(sorted(ops.items())),
        "tensor_dtypes": dict(sorted(dtype_hist.items())),
        "weight_bytes": dict(sorted(weight_bytes.items())),
        "subgraphs": subgraphs,
        "signatures": [{"key": s.key, "inputs": sorted(s.inputs), "outputs": sorted(s.outputs)}
                       for s in model.signature_defs],
        "metadata": sorted(model.metadata),
        "min_runtime_version": _min_runtime_version(model),
    }
    if file_size is not None:
        out["file_bytes"] = file_size
    return out


def _fmt_io(info: dict[str, Any]) -> str:
    shape = info.get("shape_signature", info["shape"])
    s = f"  {info['name']}: {info['dtype']}{shape}"
    q = info.get("quantization")
    if q and q.get("per_axis"):
        s += f"  per-axis quantized (axis {q['axis']}, {q['channels']} channels)"
    elif q:
        s += f"  scale={q['scale']:.6g} zero_point={q['zero_point']}"
    return s


def format_summary(s: dict[str, Any], title: str) -> str:
    lines = [f"{title}" + (f"  ({s['file_bytes']:,} bytes)" if "file_bytes" in s else "")]
    if s["description"]:
        lines.append(f"description: {s['description']}")
    if s["min_runtime_version"]:
        lines.append(f"min_runtime_version: {s['min_runtime_version']}")
    lines.append("inputs:")
    lines += [_fmt_io(i) for i in s["inputs"]]
    lines.append("outputs:")
    lines += [_fmt_io(o) for o in s["outputs"]]
    lines.append(f"ops ({sum(s['ops'].values())}):")
    width = max((len(k) for k in s["ops"]), default=0)
    lines += [f"  {k:<{width}}  {v}" for k, v in s["ops"].items()]
    lines.append("tensor dtypes: " + ", ".join(f"{k} {v}" for k, v in s["tensor_dtypes"].items()))
    total = sum(s["weight_bytes"].values())
    lines.append(f"weight bytes: {total:,} (" + ", ".join(
        f"{k} {v:,}" for k, v in s["weight_bytes"].items()) + ")")
    lines.append(f"subgraphs ({len(s['subgraphs'])}):")
    for i, sg in enumerate(s["subgraphs"]):
        lines.append(f"  [{i}] {sg['name'] or '(unnamed)'}: {sg['operators']} ops, "
                     f"{sg['tensors']} tensors")
    for sig in s["signatures"]:
        lines.append(f"signature {sig['key']!r}: inputs {sig['inputs']} outputs {sig['outputs']}")
    if s["metadata"]:
        lines.append("metadata: " + ", ".join(s["metadata"]))
    return "\n".join(lines)


__all__ = ["format_summary", "summarize", "tensor_info"]
