"""What quantization cost: compare quantized models with their float original on a test set.

For each model: file size and ratio to the float model; top-1 (when labels are given) and
argmax agreement with the float model; mean per-sample cosine, SQNR and max-abs error of its
outputs against the float model's; latency per sample on edgequant's interpreter and, when
``ai_edge_litert`` imports, on LiteRT (default op resolver, 1 thread); and its ops counted by
kind (``op_kinds``).

Outputs come from edgequant's interpreter (reference kernels by default), in batches where the
model's signature allows it (``samples.run_dataset``). A model with integer inputs gets the
float test inputs quantized as LiteRT's QUANTIZE kernel does (``round_half_away(x / scale) +
zero_point``, division in float32, clamped); integer outputs are dequantized with their scale
and zero point before they are compared. Metrics use every output of the model, flattened per
sample; top-1 and agreement use the argmax over the last axis of the first output.

Backs ``edgequant evaluate`` and ``edgequant demo``.
"""

from __future__ import annotations

import logging
import math
import os
import statistics
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from . import dtypes
from .errors import EdgeQuantError
from .interpreter import Runner, check_input
from .ir import Model, Operator, Tensor
from .qmath import dequantize, round_half_away
from .samples import batches, match_inputs, run_dataset
from .tflite_io import load, to_bytes

log = logging.getLogger(__name__)

KINDS = ("int", "hybrid", "weight-only", "float", "other", "quant")
_INT_ACT = ("int8", "uint8", "int16", "int4")
_FLOAT = ("float32", "float16", "float64", "bfloat16")
_FLOW = ("WHILE", "IF", "CALL", "CALL_ONCE")

# ============================================================================ op kinds =======
def _is_quantized_int(t: Tensor | None) -> bool:
    q = None if t is None else t.quantization
    return (t is not None and t.dtype in _INT_ACT and q is not None and q.scale is not None
            and q.scale.size > 0)


def op_kind(op: Operator, producer: Mapping[int, Operator]) -> str:
    """How ``op`` computes: 'int' (integer activations), 'hybrid' (float activations, int8/int4
    constant weights read directly), 'weight-only' (float compute fed by a DEQUANTIZE of a
    constant), 'float', 'other' (int32/bool/shape ops, control flow) or 'quant' (QUANTIZE,
    DEQUANTIZE). ``producer`` maps id(tensor) to the op writing it."""
    if op.type in ("QUANTIZE", "DEQUANTIZE"):
        return "quant"
    # SHAPE and RANK read only their input's shape, whatever its dtype.
    if op.type in _FLOW or op.type in ("SHAPE", "RANK"):
        return "other"
    acts = [t for t in [*op.inputs, *op.outputs] if t is not None and t.data is None]
    if any(_is_quantized_int(t) for t in acts):
        return "int"
    if not any(t.dtype in _FLOAT for t in acts):
        return "other"
    if any(t is not None and t.data is not None and _is_quantized_int(t) for t in op.inputs):
        return "hybrid"
    for t in op.inputs:
        p = None if t is None else producer.get(id(t))
        if p is not None and p.type == "DEQUANTIZE" and p.inputs and p.inputs[0] is not None \
                and p.inputs[0].data is not None:
            return "weight-only"
    return "float"


def op_kinds(model: Model) -> dict[str, int]:
    """Ops of every subgraph counted by ``op_kind``; every kind is present (maybe 0)."""
    counts: Counter[str] = Counter({k: 0 for k in KINDS})
    for sg in model.subgraphs:
        producer = {id(t): op for op in sg.operators for t in op.outputs if t is not None}
        for op in sg.operators:
            counts[op_kind(op, producer)] += 1
    return {k: counts[k] for k in KINDS}


# ============================================================================ metrics ========
def _flat(outputs: Sequence[np.ndarray]) -> np.ndarray:
    n = outputs[0].shape[0]
    return np.concatenate([np.asarray(o, np.float64).reshape(n, -1) for o in outputs], axis=1)


def compare_outputs(ref: Sequence[np.ndarray], got: Sequence[np.ndarray]) -> dict[str, float]:
    """Agreement (argmax over the last axis of output 0), mean per-sample cosine, SQNR in dB
    (10 log10(sum ref^2 / sum err^2) over all outputs; inf when identical) and max-abs error.
    Arrays hold samples on axis 0; integer outputs must already be dequantized."""
    r, g = _flat(ref), _flat(got)
    dot = np.einsum("ij,ij->i", r, g)
    nr, ng = np.linalg.norm(r, axis=1), np.linalg.norm(g, axis=1)
    both_zero = (nr == 0) & (ng == 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.where(both_zero, 1.0, np.where((nr == 0) | (ng == 0), 0.0, dot / (nr * ng)))
    err = g - r
    signal, noise = float(np.sum(r * r)), float(np.sum(err * err))
    if noise == 0.0:
        sqnr = math.inf
    elif signal == 0.0:
        sqnr = -math.inf
    else:
        sqnr = 10.0 * math.log10(signal / noise)
    agree = np.argmax(ref[0], axis=-1) == np.argmax(got[0], axis=-1)
    return {"agreement": float(np.mean(agree)), "cosine": float(np.mean(cos)),
            "sqnr_db": sqnr, "max_abs_error": float(np.max(np.abs(err))) if err.size else 0.0}


def top1(output: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of samples whose argmax (last axis) equals the label; one-hot labels (shaped
    like the output) are reduced with argmax first."""
    pred = np.argmax(output, axis=-1)
    lab = np.asarray(labels)
    if lab.shape == output.shape and output.ndim > 1:
        lab = np.argmax(lab, axis=-1)
    if lab.size != pred.size:
        raise ValueError(f"labels: {lab.size} values for {pred.size} predictions (output "
                         f"shape {list(output.shape)}, labels shape {list(lab.shape)})")
    return float(np.mean(pred.reshape(-1) == lab.reshape(-1)))


# ============================================================================ running ========
def _as_model(m: Any) -> tuple[Model, bytes | None, int]:
    """(Model, its bytes when cheaply known, file size)."""
    if isinstance(m, Model):
        data = to_bytes(m)
        return m, data, len(data)
    if isinstance(m, (bytes, bytearray, memoryview)):
        data = bytes(m)
        return load(data), data, len(data)
    return load(m), None, os.path.getsize(m)


def _model_bytes(m: Any, data: bytes | None) -> bytes:
    if data is not None:
        return data
    with open(m, "rb") as f:
        return f.read()


def prepare_inputs(model: Model, arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Fit float test inputs to ``model``'s inputs: quantize them for int8/uint8/int16 inputs
    (as LiteRT's QUANTIZE: float32 division, round half away from zero, clamp), cast between
    float types; data already in the input's dtype passes unchanged."""
    sg = model.main
    if len(arrays) != len(sg.inputs):
        raise ValueError(f"the model takes {len(sg.inputs)} input(s), got {len(arrays)} arrays")
    out = []
    for t, a in zip(sg.inputs, arrays):
        a = np.asarray(a)
        want = t.np_dtype
        if want is None or a.dtype == want:
            out.append(a)
        elif _is_quantized_int(t) and a.dtype.kind == "f":
            q = t.quantization
            axis = q.quantized_dimension if q.per_axis else None
            scale = q.scale.astype(np.float32)
            zp = (q.zero_point if q.zero_point is not None
                  else np.zeros(scale.shape, np.int64)).astype(np.int64)
            if axis is not None:
                shape = [1] * a.ndim
                shape[axis] = -1
                scale, zp = scale.reshape(shape), zp.reshape(shape)
            r = round_half_away(a.astype(np.float32) / scale).astype(np.int64) + zp
            lo, hi = dtypes.qrange(t.dtype)
            out.append(np.clip(r, lo, hi).astype(want))
        elif want.kind == "f" and a.dtype.kind in "fiu":
            out.append(a.astype(want))
        else:
            raise ValueError(f"input {t.name!r} expects {want}; cannot feed {a.dtype} test data")
    return out


def float_outputs(model: Model, outputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Dequantize integer outputs with their scale and zero point; others as float64."""
    res = []
    for t, o in zip(model.main.outputs, outputs):
        o = np.asarray(o)
        if _is_quantized_int(t):
            q = t.quantization
            zp = q.zero_point if q.zero_point is not None else np.zeros(q.scale.shape, np.int64)
            o = dequantize(o, q.scale, zp, q.quantized_dimension if q.per_axis else None)
        res.append(o.astype(np.float64))
    return res


def _median_time(fn: Callable[[], Any], min_runs: int, budget_s: float) -> float:
    fn()  # warm-up: plans, caches
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < min_runs or (time.perf_counter() - start < budget_s and len(times) < 200):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _litert_available() -> bool:
    try:
        import ai_edge_litert.interpreter  # noqa: F401
    except ImportError:
        return False
    return True


def litert_latency(content: bytes, sample: Sequence[np.ndarray], *, min_runs: int = 5,
                   budget_s: float = 0.25) -> float:
    """Median seconds per invoke on LiteRT (default resolver, so XNNPACK where it applies;
    1 thread) with ``sample`` (one sample, shaped for the model) as input."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_content=content, num_threads=1)
    details = it.get_input_details()
    for d, x in zip(details, sample):
        if list(d["shape"]) != list(x.shape):
            it.resize_tensor_input(d["index"], x.shape)
    it.allocate_tensors()
    for d, x in zip(details, sample):
        it.set_tensor(d["index"], x)
    return _median_time(it.invoke, min_runs, budget_s)


def _normalize_inputs(model: Model, inputs: Any) -> list[np.ndarray]:
    if isinstance(inputs, Mapping):
        return match_inputs(model, inputs, "inputs")
    if isinstance(inputs, np.ndarray):
        inputs = [inputs]
    arrays = [np.asarray(a) for a in inputs]
    counts = {a.shape[0] if a.ndim else 0 for a in arrays}
    if len(counts) != 1 or 0 in counts:
        raise ValueError(f"inputs must share a non-empty first (sample) axis; got shapes "
                         f"{[list(a.shape) for a in arrays]}")
    return arrays


def _names(models: Sequence[Any]) -> list[str]:
    """File names (whole paths when two share a name), 'model <i>' for bytes and objects."""
    out = [os.fspath(m) if isinstance(m, (str, os.PathLike)) else (f"model {i}" if i else "float")
           for i, m in enumerate(models)]
    base = [os.path.basename(n) for n in out]
    return base if len(set(base)) == len(base) else out


def evaluate(float_model: Any, models: Sequence[Any], inputs: Any,
             labels: np.ndarray | None = None, *, names: Sequence[str] | None = None,
             batch: int = 32, latency: bool = True, litert: bool | None = None,
             profile: str = "reference", progress: bool = False,
             latency_budget_s: float = 0.25) -> list[dict[str, Any]]:
    """Compare ``models`` with ``float_model`` on ``inputs`` (float test data for the float
    model: one array per input in input order, one array, or a dict keyed by input name;
    samples on axis 0) and optional ``labels``.

    Models are paths, bytes or ``Model`` objects. Returns one dict per model, the float model
    first (its own reference: agreement 1, SQNR inf), with keys ``name``, ``file_bytes``,
    ``size_ratio``, ``top1`` (None without labels), ``agreement``, ``cosine``, ``sqnr_db``,
    ``max_abs_error``, ``edgequant_ms`` and ``litert_ms`` (per sample, batch 1; None when not
    measured), ``ops`` (``op_kinds``), ``input_dtypes``, ``output_dtypes``, ``samples``.
    ``litert=None`` measures LiteRT latency when ``ai_edge_litert`` imports.
    """
    every = [float_model, *models]
    if names is not None and len(names) != len(models):
        raise ValueError(f"{len(names)} names for {len(models)} models")
    row_names = _names(every) if names is None else ["float", *names]
    if litert is None:
        litert = latency and _litert_available()
    loaded = [_as_model(m) for m in every]
    arrays = _normalize_inputs(loaded[0][0], inputs)
    n = arrays[0].shape[0]
    if labels is not None and len(labels) != n:
        raise ValueError(f"{len(labels)} labels for {n} samples")
    rows: list[dict[str, Any]] = []
    ref_out: list[np.ndarray] | None = None
    ref_size = 0
    for name, m, (model, data, size) in zip(row_names, every, loaded):
        runner = Runner(model, profile=profile)
        feeds = prepare_inputs(model, arrays)
        outs = float_outputs(model, run_dataset(model, feeds, batch=batch, runner=runner,
                                                progress=progress))
        if ref_out is None:
            ref_out, ref_size = outs, size
        elif [o.shape for o in outs] != [o.shape for o in ref_out]:
            raise EdgeQuantError(f"{name}: output shapes {[list(o.shape) for o in outs]} differ "
                                 f"from the float model's {[list(o.shape) for o in ref_out]}")
        row: dict[str, Any] = {"name": name, "file_bytes": size,
                               "size_ratio": size / ref_size if ref_size else None,
                               "top1": None if labels is None else top1(outs[0], labels)}
        row.update(compare_outputs(ref_out, outs))
        row["edgequant_ms"] = row["litert_ms"] = None
        if latency:
            _, sample = next(batches(model, [f[:1] for f in feeds], 1))
            for t, x in zip(model.main.inputs, sample):
                check_input(t, x, "input")
            row["edgequant_ms"] = 1e3 * _median_time(
                lambda r=runner, g=model.main, x=sample: r.run_subgraph(g, x), 5,
                latency_budget_s)
            if litert:
                try:
                    row["litert_ms"] = 1e3 * litert_latency(_model_bytes(m, data), sample,
                                                            budget_s=latency_budget_s)
                except (RuntimeError, ValueError) as exc:  # a refusal is a result, not a crash
                    log.warning("%s: LiteRT could not run it: %s", name, exc)
        row["ops"] = op_kinds(model)
        row["input_dtypes"] = [t.dtype for t in model.main.inputs]
        row["output_dtypes"] = [t.dtype for t in model.main.outputs]
        row["samples"] = n
        rows.append(row)
    return rows


# ============================================================================ output =========
COLUMNS: dict[str, tuple[str, Callable[[dict[str, Any]], str]]] = {
    "name": ("model", lambda r: str(r["name"])),
    "size": ("size", lambda r: f"{r['file_bytes']:,}"),
    "ratio": ("ratio", lambda r: _num(r["size_ratio"], ".3f")),
    "top1": ("top-1", lambda r: _num(r["top1"], ".4f")),
    "agreement": ("agree", lambda r: _num(r["agreement"], ".4f")),
    "cosine": ("cosine", lambda r: _num(r["cosine"], ".6f")),
    "sqnr": ("SQNR dB", lambda r: _num(r["sqnr_db"], ".1f")),
    "max_abs": ("max abs", lambda r: _num(r["max_abs_error"], ".3g")),
    "edgequant_ms": ("edgequant ms", lambda r: _num(r["edgequant_ms"], ".3f")),
    "litert_ms": ("LiteRT ms", lambda r: _num(r["litert_ms"], ".3f")),
    "ops": ("ops", lambda r: ", ".join(f"{v} {k}" for k, v in r["ops"].items() if v)),
}


def _num(v: float | None, fmt: str) -> str:
    if v is None:
        return "-"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return format(v, fmt)


def format_table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None, *,
                 headers: Mapping[str, str] | None = None) -> str:
    """A plain-text table of ``evaluate`` rows; ``columns`` picks keys of ``COLUMNS`` and
    ``headers`` renames them. Columns with nothing measured in any row (no labels, no LiteRT)
    are left out."""
    cols = list(columns or COLUMNS)
    for key, field in (("top1", "top1"), ("litert_ms", "litert_ms"),
                       ("edgequant_ms", "edgequant_ms")):
        if key in cols and all(r[field] is None for r in rows):
            cols.remove(key)
    heads = {c: COLUMNS[c][0] for c in cols} | dict(headers or {})
    cells = [[heads[c] for c in cols]] + [[COLUMNS[c][1](r) for c in cols] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cols))]
    lines = []
    for k, row in enumerate(cells):
        parts = [v.ljust(w) if i == 0 or cols[i] == "ops" else v.rjust(w)
                 for i, (v, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(parts).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def to_json(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with non-finite floats (SQNR of identical outputs) as None, for strict JSON."""
    def clean(v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        return v
    return [clean(r) for r in rows]


__all__ = ["KINDS", "compare_outputs", "evaluate", "float_outputs", "format_table", "op_kind",
           "op_kinds", "prepare_inputs", "to_json", "top1"]
