"""HTML page and PNG plots of the quantization report (``report.write_report``).

The page is one self-contained file (inline CSS, no scripts) with the plots as sibling PNG
files. Plots need matplotlib (the optional ``plot`` extra, ``pip install 'edgequant[plot]'``);
without it the page carries the tables only and says so.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:80em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:90%}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f0f0f0}td.n{text-align:right;font-variant-numeric:tabular-nums}
.bad{color:#b00}.ok{color:#070}code{background:#f5f5f5;padding:0 .2em;word-break:break-all}
.name{max-width:28em;word-break:break-all}ul{margin:0;padding-left:1.2em}
"""


def _f(v: Any, fmt: str = ".2f") -> str:
    if v is None:
        return "–"
    if isinstance(v, str):  # "inf" from the JSON form
        return "∞" if v == "inf" else ("-∞" if v == "-inf" else html.escape(v))
    if isinstance(v, float) and math.isnan(v):
        return "–"
    return format(v, fmt)


def _e(s: Any) -> str:
    return html.escape(str(s))


def _num(v: Any, default: float = math.nan) -> float:
    if isinstance(v, str):
        return math.inf if v == "inf" else (-math.inf if v == "-inf" else default)
    return default if v is None else float(v)


def render_html(r: dict[str, Any], pngs: list[tuple[str, str]], note: str) -> str:
    """The report page from the JSON form of the report."""
    ms = r["model_statistics"]
    out = [(f"<!doctype html><html><head><meta charset='utf-8'><title>edgequant report: "
           f"{_e(r['model'])}</title><style>{_CSS}</style></head><body>"),
           f"<h1>Quantization report: {_e(r['model'] or 'model')} ({_e(r['mode'])})</h1>"]
    s = r["samples"]
    out.append(f"<p>Float model {r['float_bytes']:,} bytes, quantized {r['quantized_bytes']:,} "
               f"bytes. Calibrated on {s['calibration']} samples; errors measured on "
               f"{s['evaluation']} samples of the {_e(s['evaluation_data'])} data.</p>")
    out.append("<h2>Model output vs float</h2><table><tr><th>cosine (mean per sample)</th>"
               "<th>SQNR dB</th><th>max abs error</th><th>argmax agreement</th></tr>"
               f"<tr><td class=n>{_f(ms.get('cosine'), '.5f')}</td>"
               f"<td class=n>{_f(ms.get('sqnr'), '.1f')}</td>"
               f"<td class=n>{_f(ms.get('max_abs_error'), '.4g')}</td>"
               f"<td class=n>{_f(ms.get('argmax_agreement'), '.4f')}</td></tr></table>")
    kf = r.get("keep_float")
    if kf:
        out.append(_keep_float_html(kf))
    out.append("<h2>Plots</h2>")
    if pngs:
        for p, caption in pngs:
            out.append(f"<figure><img src='{_e(p)}' alt='{_e(caption)}' style='max-width:100%'>"
                       f"<figcaption>{_e(caption)}</figcaption></figure>")
    if note:
        out.append(f"<p><em>{_e(note)}</em></p>")
    out.append(_layers_html(r))
    out.append("<h2>Ops left float</h2>")
    if r["float_ops"]:
        out.append("<table><tr><th>op</th><th>index</th><th>outputs</th><th>why</th></tr>")
        for f in r["float_ops"]:
            out.append(f"<tr><td>{_e(f['op'])}</td><td class=n>{f['index']}</td>"
                       f"<td class=name>{_e(', '.join(f['outputs']))}</td>"
                       f"<td>{_e(f['reason'])}</td></tr>")
        out.append("</table>")
    else:
        out.append("<p>None: every op with float tensors is quantized.</p>")
    out.append(_weights_html(r))
    out.append(
        "<h2>How to read this</h2><ul>"
        "<li><b>local</b> error: the op's quantized kernel alone, fed the float model's inputs "
        "(quantized with the op's input parameters), against the float output: what this op "
        "loses by itself.</li><li><b>accumulated</b> error: the quantized model run end to "
        "end, this tensor dequantized, against the float model: everything before it "
        "included.</li><li><b>share</b> = local / accumulated mean squared error: near 1, the "
        "error here is the layer's own; near 0, it was inherited.</li><li><b>RMSE/scale</b>: "
        "local RMS error in output quantization steps; pure output rounding gives 0.29.</li>"
        "<li>SQNR = 10 log10(Σ float² / Σ error²) dB; the TF metrics (stddev, mean error, max "
        "abs error, MSE) are per sample, averaged over samples, as TF's "
        "QuantizationDebugger computes them (they are in report.json).</li>"
        "<li>Keeping one op float removes its weight and kernel error but not the rounding of "
        "its output where the next op is integer, so runs of float ops help more than "
        "scattered ones.</li></ul></body></html>")
    return "\n".join(out)


def _keep_float_html(kf: dict[str, Any]) -> str:
    met = kf["met"]
    out = [f"<h2>Keep-float proposal (target cosine ≥ {kf['target_cosine']})</h2>",
           (f"<p class={'ok' if met else 'bad'}>{len(kf['keep_float'])} op(s) kept float "
           f"({_e(kf['strategy'])}): output cosine {_f(kf['cosine_before'], '.5f')} → "
           f"{_f(kf['cosine_after'], '.5f')} ({'meets' if met else 'misses'} the target).</p>")]
    if kf.get("note"):
        out.append(f"<p>{_e(kf['note'])}</p>")
    sz = kf["size_bytes"]
    rows = [("size (bytes)", f"{sz['float']:,}", f"{sz['quantized']:,}",
             f"{sz['with_keep_float']:,}")]
    lat = kf.get("latency_ms") or {}
    for eng, label in (("edgequant", "latency, edgequant interpreter (ms)"),
                       ("litert", "latency, LiteRT 1 thread (ms)")):
        v = lat.get(eng)
        if v:
            rows.append((label, _f(v["float"], ".3f"), _f(v["quantized"], ".3f"),
                         _f(v["with_keep_float"], ".3f")))
    out.append("<table><tr><th></th><th>float</th><th>quantized</th><th>with keep-float</th>"
               "</tr>" + "".join("<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td>"
                                 "<td class=n>{}</td></tr>".format(*r) for r in rows)
               + "</table>")
    if kf["keep_float"]:
        out.append(f"<p>Apply it:</p><p><code>{_e(kf['cli'])}</code></p>")
    srch = kf["search"]
    out.append(f"<p>Search: {srch['evaluations']} conversions measured on {srch['samples']} "
               "samples; shortest prefix per ordering: "
               + ", ".join(f"{_e(k)} {v if v >= 0 else 'none'}"
                           for k, v in srch["shortest_prefix"].items()) + ".</p>")
    return "\n".join(out)


def _layers_html(r: dict[str, Any]) -> str:
    out = ["<h2>Layers, worst local error first</h2>",
           ("<table><tr><th>#</th><th>tensor</th><th>op</th><th>kind</th><th>local SQNR dB</th>"
           "<th>accumulated SQNR dB</th><th>share</th><th>RMSE/scale</th><th>local MSE</th>"
           "<th>weight SQNR dB</th><th>suggested fix</th></tr>")]
    for i, e in enumerate(r["layers"]):
        w = e.get("weights") or {}
        sug = "".join(f"<li>{_e(s)}</li>" for s in e["suggestions"])
        out.append(
            f"<tr><td class=n>{i + 1}</td><td class=name>{_e(e['name'])}</td>"
            f"<td>{_e(e['op_type'])}</td><td>{_e(e['kind'])}</td>"
            f"<td class=n>{_f(e['local'].get('sqnr'), '.1f')}</td>"
            f"<td class=n>{_f(e['accumulated'].get('sqnr'), '.1f')}</td>"
            f"<td class=n>{_f(e.get('error_share'), '.2f')}</td>"
            f"<td class=n>{_f(e.get('rmse_over_scale'), '.2f')}</td>"
            f"<td class=n>{_f(e['local'].get('mean_squared_error'), '.3g')}</td>"
            f"<td class=n>{_f(w.get('sqnr'), '.1f')}</td><td><ul>{sug}</ul></td></tr>")
    out.append("</table>")
    return "\n".join(out)


def _weights_html(r: dict[str, Any]) -> str:
    rows = [e for e in r["layers"] if e.get("weights")]
    if not rows:
        return ""
    rows.sort(key=lambda e: -_num(e["weights"]["outlier_ratio"], 0.0))
    out = ["<h2>Weights per channel, largest outlier ratio first</h2>",
           ("<table><tr><th>tensor</th><th>op</th><th>stored as</th><th>channels (axis)</th>"
           "<th>median max|w|</th><th>max max|w|</th><th>max / median</th>"
           "<th>outlier channels</th><th>weight SQNR dB</th></tr>")]
    for e in rows:
        w = e["weights"]
        stored = _e(w.get("quantized") or "float") + (
            " per-channel" if w.get("per_channel") else
            (" per-tensor" if w.get("per_channel") is False else ""))
        out.append(f"<tr><td class=name>{_e(w['tensor'])}</td><td>{_e(e['op_type'])}</td>"
                   f"<td>{stored}</td><td class=n>{w['channels']} ({w['axis']})</td>"
                   f"<td class=n>{_f(w['absmax_median'], '.4g')}</td>"
                   f"<td class=n>{_f(w['absmax_max'], '.4g')}</td>"
                   f"<td class=n>{_f(w['outlier_ratio'], '.1f')}</td>"
                   f"<td>{_e(', '.join(map(str, w['outlier_channels'])) or '–')}</td>"
                   f"<td class=n>{_f(w.get('sqnr'), '.1f')}</td></tr>")
    out.append("</table>")
    return "\n".join(out)


def make_plots(r: dict[str, Any], d: Path) -> tuple[list[tuple[str, str]], str]:
    """PNG files written into ``d`` as (file name, caption), and a note when none could be."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return [], ("matplotlib is not installed, so this page has tables only: "
                    "pip install 'edgequant[plot]' for plots")
    files: list[tuple[str, str]] = []
    by = {e["name"]: e for e in r["layers"]}
    order = [by[n] for n in r["order"]]
    fig, ax = plt.subplots(figsize=(10, 4))
    x = range(len(order))
    ax.plot(x, [_num(e["local"].get("sqnr")) for e in order], "o-", ms=3, label="local")
    ax.plot(x, [_num(e["accumulated"].get("sqnr")) for e in order], "s-", ms=3,
            label="accumulated")
    ax.set_xlabel("quantized tensor (execution order)")
    ax.set_ylabel("SQNR vs float (dB)")
    ax.grid(alpha=.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(d / "layer_sqnr.png", dpi=90)
    plt.close(fig)
    files.append(("layer_sqnr.png", ("Local and accumulated SQNR per quantized tensor, in "
                  "execution order")))
    kf = r.get("keep_float")
    if kf and kf["search"]["tried"]:
        fig, ax = plt.subplots(figsize=(7, 4))
        groups: dict[str, list[tuple[int, float]]] = {}
        for t in kf["search"]["tried"]:
            groups.setdefault(t["strategy"], []).append((t["size"], _num(t["cosine"])))
        for k, pts in groups.items():
            ax.plot(*zip(*sorted(pts)), "o", label=k)
        ax.axhline(kf["target_cosine"], color="k", lw=.8, ls="--", label="target")
        ax.set_xlabel("ops kept float")
        ax.set_ylabel("output cosine vs float")
        ax.grid(alpha=.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(d / "keep_float_search.png", dpi=90)
        plt.close(fig)
        files.append(("keep_float_search.png", ("Keep-float search: output cosine of every "
                      f"list tried ({kf['search']['samples']} samples)")))
    wl = [e for e in r["layers"] if e.get("weights")]
    wl.sort(key=lambda e: -_num(e["weights"]["outlier_ratio"], 0.0))
    if wl:
        fig, axes = plt.subplots(len(wl[:3]), 1, figsize=(10, 2.6 * len(wl[:3])), squeeze=False)
        for ax, e in zip(axes[:, 0], wl[:3]):
            w = e["weights"]
            c = range(w["channels"])
            ax.bar(c, [_num(v) for v in w["max"]], color="tab:blue", width=1.0)
            ax.bar(c, [_num(v) for v in w["min"]], color="tab:orange", width=1.0)
            ax.set_title(f"{e['op_type']} {e['name'][:70]}", fontsize=8)
            ax.set_ylabel("weight min/max")
        axes[-1, 0].set_xlabel("output channel")
        fig.tight_layout()
        fig.savefig(d / "weight_ranges.png", dpi=90)
        plt.close(fig)
        files.append(("weight_ranges.png", ("Weight range per channel of the layers with the "
                      "largest outlier ratio")))
    return files, ""
