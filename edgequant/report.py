"""The per-layer quantization report behind ``edgequant report``: where a quantized model loses
accuracy, why, what to do about it, and the smallest keep-float list found that meets a target.

``build_report`` converts the float model in the chosen mode (calibrating on the given data),
measures every quantized layer's local and accumulated error with ``debugger.
QuantizationDebugger``, lists the ops left float and why, the weight ranges per channel and
the outlier channels, proposes a keep-float list (``keep_float.propose``; the cosine before
and after is measured on the evaluation data with the real converter's output, plus what the
float ops cost in size and latency), and suggests a fix per layer. ``write_report`` writes
``report.json`` and a self-contained ``report.html`` (PNG plots next to it when matplotlib,
the optional ``plot`` extra, is installed; tables only otherwise, and the page says so).
"""

from __future__ import annotations

import json
import logging
import math
import os
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import ops as op_registry
from .debugger import QuantizationDebugger
from .ir import Model
from .keep_float import (
    FULL_INT,
    Evaluator,
    Quantizer,
    dataset_from_arrays,
    edgequant_latency_ms,
    litert_latency_ms,
    propose,
)
from .tflite_io import load, to_bytes

log = logging.getLogger(__name__)

MODES = ("int8", "int8-only", "16x8", "dynamic", "float16")
# Local RMSE / output scale of pure output rounding (uniform error over one step): 1/sqrt(12).
ROUNDING_RMSE = 1.0 / math.sqrt(12.0)


def _share(local: dict[str, Any], acc: dict[str, Any]) -> float:
    """Fraction of the error at this tensor that the layer makes itself (local / accumulated
    mean squared error, at most 1)."""
    lm, am = local.get("mean_squared_error"), acc.get("mean_squared_error")
    if lm is None or am is None or not np.isfinite(lm) or not np.isfinite(am):
        return float("nan")
    return 1.0 if am <= 0 else float(min(lm / am, 1.0))


def suggestions(entry: dict[str, Any], mode: str) -> list[str]:
    """What to try for one layer of the report, most specific first."""
    out: list[str] = []
    op = entry["op_type"]
    w = entry.get("weights")
    a = entry.get("activation_channels")
    rule = getattr(op_registry.get(op), "QUANT", None)
    if w and w.get("per_channel") is False and rule is not None \
            and rule.weight_axis is not None:
        out.append("per-channel weights: its weights have one scale for "
                   f"{w['channels']} channels (drop --no-per-channel / --no-per-channel-dense)")
    if w and w.get("outlier_channels") and w.get("per_channel") is False:
        ch = ", ".join(map(str, w["outlier_channels"][:5]))
        out.append(f"outlier weight channel(s) {ch}: max|w| {w['outlier_ratio']:.1f}x the "
                   "median channel's; per-channel weights fix that")
    if w and w.get("sqnr") is not None and w["sqnr"] < 30.0:
        out.append(f"weights lose precision (weight SQNR {w['sqnr']:.1f} dB): keep float or "
                   "use a finer weight type")
    if a and a.get("outlier_channels"):
        ch = ", ".join(map(str, a["outlier_channels"][:5]))
        extra = " or try --mode 16x8 (int16 activations)" if mode in ("int8", "int8-only") \
            else ""
        out.append(f"outlier output channel(s) {ch}: range {a['ratio']:.1f}x the median "
                   "channel's, so one per-tensor scale leaves the others few levels; keep "
                   f"float{extra}, or equalize channel ranges in the float model")
    if op in ("CONCATENATION", "PACK") and entry["local"].get("sqnr", 99) < 30:
        out.append("its inputs must share one scale: a small-range input loses precision next "
                   "to a large-range one; keep it float or output the parts separately")
    if rule is not None and rule.fixed and mode in FULL_INT:
        out.append(f"{op} has fixed output parameters; its error is the kernel's own: keep it "
                   "float if it matters")
    ros = entry.get("rmse_over_scale")
    if ros is not None and np.isfinite(ros):
        if ros > 3 * ROUNDING_RMSE:
            out.append(f"local error {ros:.2f} output steps RMS, well above output rounding "
                       f"({ROUNDING_RMSE:.2f}): clamping or weight/kernel error")
        elif mode in ("int8", "int8-only") and entry["local"].get("sqnr", 99) < 30:
            out.append("error is mostly output rounding: only wider activations (--mode 16x8) "
                       "or keeping it float help")
    share = entry.get("error_share")
    if share is not None and np.isfinite(share) and share < 0.1:
        out.append(f"most of the error here ({100 * (1 - share):.0f}%) comes from earlier "
                   "layers: fix those first")
    if mode != "int8-only":
        out.append(f"keep float: --keep-float {shlex.quote(entry['name'])}")
    else:
        out.append("keep float: needs float fallback (--mode int8) and --keep-float "
                   f"{shlex.quote(entry['name'])}")
    return out


def _limit(arrays: list[np.ndarray], n: int | None) -> list[np.ndarray]:
    return arrays if n is None else [a[:n] for a in arrays]


def build_report(model: Model | str | os.PathLike | bytes, calib: list[np.ndarray], mode: str,
                 *, test: list[np.ndarray] | None = None, target: float = 0.99,
                 samples: int | None = 100, search_samples: int = 32, max_evals: int = 40,
                 search: bool = True, latency: bool = True, progress: bool = False,
                 name: str = "") -> dict[str, Any]:
    """Everything ``report.json`` holds (see module docstring). ``calib`` and ``test`` are
    arrays per model input with samples on axis 0; without ``test`` the calibration data is
    also the evaluation data. At most ``samples`` evaluation samples are used (the keep-float
    search uses the first ``search_samples`` of them, then checks on all)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    fmodel = model if isinstance(model, Model) else load(model)
    float_bytes = to_bytes(fmodel)
    evals = _limit(test if test is not None else calib, samples)
    n_eval = int(evals[0].shape[0])
    calib_ds = dataset_from_arrays(fmodel, calib) if mode in FULL_INT else None
    quantizer = Quantizer(fmodel, mode, calib_ds, progress=progress)
    if mode in FULL_INT:
        log.info("calibrating on %d samples and converting (%s)", calib[0].shape[0], mode)
    else:
        log.info("converting (%s)", mode)
    content, plan = quantizer.convert()
    log.info("measuring per-layer error on %d samples", n_eval)
    dbg = QuantizationDebugger(quant_debug_model_content=content, float_model_content=float_bytes,
                               debug_dataset=dataset_from_arrays(fmodel, evals), plan=plan,
                               mode=mode, progress=progress, max_samples=n_eval)
    dbg.run()
    assert dbg.layer_statistics is not None and dbg.accumulated_statistics is not None
    weights = dbg.weight_statistics()
    layers: list[dict[str, Any]] = []
    for la in dbg.layers:
        loc, acc = dbg.layer_statistics[la.name], dbg.accumulated_statistics[la.name]
        rmse = math.sqrt(loc["mean_squared_error"]) if np.isfinite(
            loc["mean_squared_error"]) else float("nan")
        entry = {
            "name": la.name, "op_type": la.op_type, "op_index": la.op_index,
            "float_op_index": la.float_op_index, "kind": la.kind,
            "scale": la.scale, "zero_point": la.zero_point,
            "local": loc, "accumulated": acc, "error_share": _share(loc, acc),
            "rmse_over_scale": rmse / la.scale if la.scale else None,
            "local_unavailable": la.local_why or None,
            "weights": weights.get(la.name),
            "activation_channels": {k: v for k, v in dbg.activation_channels.get(
                la.name, {}).items() if k != "absmax"} or None,
        }
        entry["suggestions"] = suggestions(entry, mode)
        layers.append(entry)

    def badness(e: dict[str, Any]) -> float:
        s = e["local"].get("sqnr")
        return s if s is not None and not math.isnan(s) else math.inf

    worst = sorted(layers, key=badness)
    report: dict[str, Any] = {
        "model": name, "mode": mode, "float_bytes": len(float_bytes),
        "quantized_bytes": len(content),
        "samples": {"calibration": int(calib[0].shape[0]) if mode in FULL_INT else 0,
                    "evaluation": n_eval,
                    "evaluation_data": "test" if test is not None else "calibration"},
        "model_statistics": dbg.model_statistics,
        "float_ops": dbg.float_ops(),
        "layers": worst,
        "order": [e["name"] for e in layers],
    }
    if search:
        report["keep_float"] = _keep_float(fmodel, quantizer, mode, calib_ds, layers, evals,
                                           content, target, search_samples, max_evals,
                                           latency, progress,
                                           before=dbg.model_statistics["cosine"])
    return report


def _orderings(layers: list[dict[str, Any]]) -> dict[str, list[str]]:
    names: list[str] = []
    seen_ops: set[int] = set()
    for e in layers:  # one name per op, in execution order
        if e["op_index"] not in seen_ops:
            seen_ops.add(e["op_index"])
            names.append(e["name"])
    by = {e["name"]: e for e in layers}

    def key_local(n: str) -> float:
        s = by[n]["local"].get("sqnr")
        return s if s is not None and not math.isnan(s) else math.inf

    def key_share(n: str) -> tuple[float, float]:
        s = by[n]["error_share"]
        return (-(s if not math.isnan(s) else 0.0), key_local(n))

    return {"local error": sorted(names, key=key_local),
            "error share": sorted(names, key=key_share),
            "graph order": names}


def _keep_float(fmodel: Model, quantizer: Quantizer, mode: str, calib_ds: Any,
                layers: list[dict[str, Any]], evals: list[np.ndarray], content: bytes,
                target: float, search_samples: int, max_evals: int, latency: bool,
                progress: bool, before: float | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"target_cosine": target, "mode": mode}
    if mode == "int8-only":
        # Integer-only forbids float ops; the proposal is for float fallback (--mode int8).
        quantizer = Quantizer(fmodel, "int8", calib_ds, progress=progress)
        out["mode"] = "int8"
        out["note"] = ("int8-only allows no float op; the list is for --mode int8 (float "
                       "fallback)")
    orderings = _orderings(layers)
    sub = Evaluator(fmodel, _limit(evals, search_samples))
    full = Evaluator(fmodel, evals)
    log.info("searching a keep-float list for cosine >= %g (%d samples per try)", target,
             int(sub.arrays[0].shape[0]))
    prop = propose(quantizer, orderings, sub.cosine, target, max_evals=max_evals)
    keep = list(prop.keep)
    log.info("checking the list with the converter on %d samples", int(evals[0].shape[0]))
    if before is None:  # the debugger measures it on the same samples
        before = full.cosine(content)
    if keep or out["mode"] != mode:
        after_bytes = quantizer.converter(keep).convert()
        after = full.cosine(after_bytes)
    else:
        after_bytes, after = content, before
    # The search ran on a subset: if the whole evaluation set misses the target, extend the
    # list along the ordering that produced it.
    order = orderings.get(prop.strategy.split(",")[0], [])
    extra = [n for n in order if n not in keep]
    steps = 0
    while after < target and extra and steps < 8:
        keep.append(extra.pop(0))
        steps += 1
        after_bytes = quantizer.converter(keep).convert()
        after = full.cosine(after_bytes)
    out.update({
        "keep_float": keep, "strategy": prop.strategy, "met": after >= target,
        "cosine_before": before, "cosine_after": after,
        "search": {"samples": int(sub.arrays[0].shape[0]), "evaluations": prop.evaluations,
                   "baseline": prop.baseline, "achieved": prop.achieved,
                   "shortest_prefix": prop.prefixes, "tried": prop.tried,
                   "extended_on_full_data": steps},
        "cli": "edgequant convert MODEL -o OUT.tflite --mode {} --calibration DATA.npz {}"
               .format(out["mode"], " ".join(f"--keep-float {shlex.quote(k)}" for k in keep))
               if out["mode"] in FULL_INT else
               "edgequant convert MODEL -o OUT.tflite --mode {} {}".format(
                   out["mode"], " ".join(f"--keep-float {shlex.quote(k)}" for k in keep)),
    })
    fbytes = to_bytes(fmodel)
    out["size_bytes"] = {"float": len(fbytes), "quantized": len(content),
                         "with_keep_float": len(after_bytes)}
    if latency:
        log.info("measuring latency (1 sample)")
        models = {"float": fbytes, "quantized": content, "with_keep_float": after_bytes}
        out["latency_ms"] = {"edgequant": {k: edgequant_latency_ms(v, evals)
                                           for k, v in models.items()}}
        lit = {k: litert_latency_ms(v, evals) for k, v in models.items()}
        out["latency_ms"]["litert"] = lit if any(v is not None for v in lit.values()) else None
    return out


# -- output ----------------------------------------------------------------------------------

def _jsonable(x: Any) -> Any:
    """JSON without NaN/Infinity: non-finite floats become null (NaN) or "inf" / "-inf"."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.floating, float)):
        f = float(x)
        if math.isnan(f):
            return None
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return f
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    return x


def write_report(report: dict[str, Any], out_dir: str | os.PathLike, *, plots: bool = True
                 ) -> dict[str, Path]:
    """Write report.json, report.html and (with matplotlib) PNG plots into ``out_dir``."""
    from .report_html import make_plots, render_html

    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    pngs: list[tuple[str, str]] = []
    note = ""
    if plots:
        pngs, note = make_plots(report, d)
    else:
        note = "plots switched off"
    data = _jsonable(report)
    data["plots"] = [p for p, _ in pngs]
    data["plots_note"] = note or None
    files["json"] = d / "report.json"
    files["json"].write_text(json.dumps(data, indent=1, allow_nan=False) + "\n")
    files["html"] = d / "report.html"
    files["html"].write_text(render_html(data, pngs, note))
    for p, _ in pngs:
        files[p] = d / p
    return files


def summary_lines(report: dict[str, Any], top: int = 5) -> list[str]:
    """A few lines for the terminal: model statistics, worst layers, the keep-float list."""
    ms = report["model_statistics"]
    lines = [(f"{report['model'] or 'model'} ({report['mode']}): output cosine "
             f"{ms['cosine']:.5f}, SQNR {ms['sqnr']:.1f} dB vs float, "
             f"{len(report['layers'])} quantized tensors, {len(report['float_ops'])} float ops")]
    lines.append("worst layers (local SQNR, accumulated SQNR):")
    for e in report["layers"][:top]:
        lines.append(f"  {e['local']['sqnr']:6.1f} dB {e['accumulated']['sqnr']:6.1f} dB  "
                     f"{e['op_type']} {e['name']}")
    kf = report.get("keep_float")
    if kf:
        met = "meets" if kf["met"] else "misses"
        lines.append(f"keep-float proposal ({kf['strategy']}): {len(kf['keep_float'])} op(s); "
                     f"cosine {kf['cosine_before']:.5f} -> {kf['cosine_after']:.5f} ({met} "
                     f"{kf['target_cosine']})")
        sz = kf["size_bytes"]
        lines.append(f"  size {sz['quantized']:,} -> {sz['with_keep_float']:,} bytes "
                     f"(float {sz['float']:,})")
        lat = kf.get("latency_ms")
        if lat:
            for eng in ("edgequant", "litert"):
                v = lat.get(eng)
                if v:
                    lines.append(f"  latency {eng}: {v['quantized']:.3f} -> "
                                 f"{v['with_keep_float']:.3f} ms (float {v['float']:.3f} ms)")
    return lines


__all__: Sequence[str] = ["build_report", "suggestions", "summary_lines", "write_report"]
