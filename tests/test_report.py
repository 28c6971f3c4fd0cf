"""QuantizationDebugger, the keep-float search and ``edgequant report`` on the shared models.

Layer statistics are checked against independent computations: LiteRT's reference kernels
(with every tensor preserved) for the values, plain NumPy for the metrics and for an int8
FULLY_CONNECTED computed from its definition.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

import edgequant as eq
from edgequant.cli import main
from edgequant.debugger import QuantizationDebugger, QuantizationDebugOptions
from edgequant.errors import EdgeQuantError
from edgequant.keep_float import Quantizer, dataset_from_arrays
from edgequant.report import build_report

DATA = Path(__file__).parent / "data"
MNIST, MOBILENET = DATA / "mnist_cnn", DATA / "mobilenet_v2_096"


def _x(folder: Path, which: str, n: int) -> np.ndarray:
    with np.load(folder / f"{which}.npz") as z:
        return z["x"][:n].astype(np.float32)


def _int8_converter(folder: Path, calib: int) -> eq.TFLiteConverter:
    conv = eq.TFLiteConverter.from_file(folder / "float.tflite")
    conv.optimizations = [eq.Optimize.DEFAULT]
    x = _x(folder, "calib", calib)
    conv.representative_dataset = lambda: ([x[i:i + 1]] for i in range(len(x)))
    return conv


def _samples(x: np.ndarray):  # a dataset factory
    return lambda: ([x[i:i + 1]] for i in range(len(x)))


def _tf_metrics(diffs: list[np.ndarray]) -> dict[str, float]:
    """TF's default layer metrics: per sample, then averaged over samples."""
    return {"num_elements": np.mean([d.size for d in diffs]),
            "stddev": np.mean([np.std(d) for d in diffs]),
            "mean_error": np.mean([np.mean(d) for d in diffs]),
            "max_abs_error": np.mean([np.max(np.abs(d)) for d in diffs]),
            "mean_squared_error": np.mean([np.mean(d * d) for d in diffs])}


def _litert_tensors(content: bytes, x: np.ndarray, dtype: str | None = None
                    ) -> dict[str, np.ndarray]:
    """Every tensor of ``content`` run by LiteRT's reference kernels on one sample, by name
    (the tensor of dtype ``dtype`` where a name is used twice)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    it = Interpreter(model_content=content, experimental_preserve_all_tensors=True,
                     experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    out: dict[str, np.ndarray] = {}
    for d in it.get_tensor_details():
        try:
            v = it.get_tensor(d["index"])
        except ValueError:
            continue
        if d["name"] not in out or (dtype is not None and v.dtype == np.dtype(dtype)):
            q = d["quantization_parameters"]
            if v.dtype == np.int8 and len(q["scales"]) == 1:
                v = ((v.astype(np.int64) - q["zero_points"][0]) * q["scales"][0])
            out[d["name"]] = np.asarray(v, np.float64)
    return out


@pytest.fixture(scope="module")
def mnist_debugger() -> QuantizationDebugger:
    dbg = QuantizationDebugger(converter=_int8_converter(MNIST, 100),
                               debug_dataset=_samples(_x(MNIST, "test", 24)))
    dbg.run()
    return dbg


def test_accumulated_statistics_match_litert(mnist_debugger: QuantizationDebugger) -> None:
    dbg = mnist_debugger
    x = _x(MNIST, "test", 24)
    qbytes = dbg.get_nondebug_quantized_model()
    fbytes = eq.to_bytes(dbg.float_model)
    names = [la.name for la in dbg.layers if la.op_type in ("CONV_2D", "FULLY_CONNECTED")]
    assert len(names) == 2
    diffs: dict[str, list[np.ndarray]] = {n: [] for n in names}
    refs: dict[str, list[np.ndarray]] = {n: [] for n in names}
    for i in range(len(x)):
        f = _litert_tensors(fbytes, x[i:i + 1])
        q = _litert_tensors(qbytes, x[i:i + 1], dtype="int8")
        for n in names:
            diffs[n].append(q[n] - f[n])
            refs[n].append(f[n])
    for n in names:
        want = _tf_metrics(diffs[n])
        got = dbg.accumulated_statistics[n]
        for k, v in want.items():
            assert got[k] == pytest.approx(v, rel=1e-4, abs=1e-7), (n, k)
        signal = sum(float(np.sum(r * r)) for r in refs[n])
        noise = sum(float(np.sum(d * d)) for d in diffs[n])
        assert got["sqnr"] == pytest.approx(10 * np.log10(signal / noise), abs=1e-3)
        assert got["scale"] > 0 and -128 <= got["zero_point"] <= 127


def test_local_error_of_fully_connected_from_its_definition(
        mnist_debugger: QuantizationDebugger) -> None:
    """Local error of the int8 FC: its float input quantized, an int8 matmul with int32 bias
    and a float rescale, against the float model's FC output."""
    dbg = mnist_debugger
    la = next(la for la in dbg.layers if la.op_type == "FULLY_CONNECTED")
    qop = la.op
    xin, w, b = qop.inputs[:3]
    s_in, z_in = float(xin.quantization.scale[0]), int(xin.quantization.zero_point[0])
    s_w = w.quantization.scale.astype(np.float64)
    s_out, z_out = la.scale, la.zero_point
    fop = dbg.float_model.main.operators[la.float_op_index]
    x = _x(MNIST, "test", 24)
    diffs = []
    for i in range(len(x)):
        vals = _litert_tensors(eq.to_bytes(dbg.float_model), x[i:i + 1])
        fin, fout = vals[fop.inputs[0].name], vals[la.name]
        r = np.asarray(fin, np.float32) / np.float32(s_in)
        q_in = np.clip(np.sign(r) * np.floor(np.abs(r) + 0.5) + z_in, -128, 127)
        acc = (q_in.reshape(1, -1) - z_in) @ w.data.astype(np.int64).T + b.data.astype(np.int64)
        out = np.clip(np.round(acc * (s_in * s_w / s_out)) + z_out, -128, 127)
        diffs.append((out - z_out) * s_out - fout.reshape(out.shape))
    want = _tf_metrics(diffs)
    got = dbg.layer_statistics[la.name]
    # (A float rescale could differ from the kernel's fixed-point one by 1 LSB on a tie; on
    # these samples none does.)
    for k, v in want.items():
        assert got[k] == pytest.approx(v, rel=1e-4), k
    assert got["num_elements"] == 10
    # ... and it is not the accumulated error, which differs here mostly in its mean.
    acc = dbg.accumulated_statistics[la.name]
    assert abs(acc["mean_error"] - want["mean_error"]) > 0.2 * abs(want["mean_error"])


def test_dump_has_tf_columns(mnist_debugger: QuantizationDebugger) -> None:
    buf = io.StringIO()
    mnist_debugger.layer_statistics_dump(buf)
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert len(rows) == len(mnist_debugger.layers)
    tf_cols = ["op_name", "tensor_idx", "num_elements", "stddev", "mean_error", "max_abs_error",
               "mean_squared_error", "scale", "zero_point", "tensor_name"]
    assert set(tf_cols) <= set(rows[0])
    assert {r["op_name"] for r in rows} >= {"CONV_2D", "FULLY_CONNECTED", "MAX_POOL_2D"}
    assert mnist_debugger.model_statistics["cosine"] > 0.999


def test_local_and_accumulated_on_mobilenet() -> None:
    conv = _int8_converter(MOBILENET, 32)
    opts = QuantizationDebugOptions(layer_debug_metrics={"mean_abs": lambda d: np.mean(abs(d))})
    dbg = QuantizationDebugger(converter=conv, debug_dataset=_samples(_x(MOBILENET, "test", 8)),
                               debug_options=opts)
    dbg.run()
    local, acc = dbg.layer_statistics, dbg.accumulated_statistics
    first = dbg.layers[0]
    # The first quantized layer reads the quantized model input in both cases: identical.
    assert first.op_type == "CONV_2D" and first.kind == "int"
    assert local[first.name] == acc[first.name]
    assert "mean_abs" in local[first.name]
    # Deep layers have inherited most of their error: the accumulated error dwarfs the local.
    deep = dbg.layers[-20:]
    assert all(acc[la.name]["mean_squared_error"] > 2 * local[la.name]["mean_squared_error"]
               for la in deep)
    last = dbg.layers[-1].name
    assert acc[last]["sqnr"] < local[last]["sqnr"] - 10
    # Per-channel weight statistics: per-channel int8 weights keep > 40 dB on every layer.
    ws = dbg.weight_statistics()
    assert all(w["per_channel"] and w["sqnr"] > 40 for w in ws.values())
    assert len(ws) == sum(la.op_type in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")
                          for la in dbg.layers)


def test_dynamic_range_debugger() -> None:
    """Dynamic range: the hybrid FC reads the same float input in both models, so its local
    and accumulated errors coincide; the float ops are listed."""
    conv = eq.TFLiteConverter.from_file(MNIST / "float.tflite")
    conv.optimizations = [eq.Optimize.DEFAULT]
    dbg = QuantizationDebugger(converter=conv, debug_dataset=_samples(_x(MNIST, "test", 8)))
    dbg.run()
    (la,) = dbg.layers
    assert la.kind == "hybrid" and la.scale is None
    assert dbg.layer_statistics[la.name] == dbg.accumulated_statistics[la.name]
    assert 40 < dbg.layer_statistics[la.name]["sqnr"] < 80
    assert {f["op"] for f in dbg.float_ops()} >= {"CONV_2D", "MAX_POOL_2D"}


def test_debugger_needs_the_float_model() -> None:
    q = _int8_converter(MNIST, 10).convert()
    with pytest.raises(ValueError, match="float model"):
        QuantizationDebugger(quant_debug_model_content=q, debug_dataset=_samples(np.zeros(1)))
    conv = eq.TFLiteConverter.from_file(MNIST / "float.tflite")
    with pytest.raises(EdgeQuantError, match="does not quantize"):
        QuantizationDebugger(converter=conv, debug_dataset=_samples(np.zeros(1)))


def test_quantizer_matches_converter() -> None:
    model = eq.load(MOBILENET / "float.tflite")
    x = _x(MOBILENET, "calib", 16)
    names = [op.outputs[0].name for op in model.main.operators]
    keep = [names[1], names[9]]
    q = Quantizer(model, "int8", dataset_from_arrays(model, [x]))
    assert q.convert()[0] == q.converter().convert()
    ours, plan = q.convert(keep)
    conv = _int8_converter(MOBILENET, 16)
    conv.denylisted_nodes = keep
    assert ours == conv.convert()
    assert sum(p.kind == "float" for p in plan.ops.values()) == 2


def test_keep_float_proposal_reaches_target_on_mobilenet() -> None:
    model = eq.load(MOBILENET / "float.tflite")
    calib, test = _x(MOBILENET, "calib", 64), _x(MOBILENET, "test", 40)
    r = build_report(model, [calib], "int8", test=[test], target=0.99, samples=40,
                     search_samples=16, max_evals=20, latency=False)
    kf = r["keep_float"]
    assert kf["cosine_before"] < 0.95
    assert kf["met"] and kf["cosine_after"] >= 0.99
    assert 0 < len(kf["keep_float"]) < len(r["order"])
    # Independently: the converter with that list, run, cosine computed here.
    conv = _int8_converter(MOBILENET, 64)
    conv.denylisted_nodes = kf["keep_float"]
    yq = eq.run(conv.convert(), [test])[0].astype(np.float64)
    yf = eq.run(model, [test])[0].astype(np.float64)
    cos = np.sum(yf * yq, 1) / np.linalg.norm(yf, axis=1) / np.linalg.norm(yq, axis=1)
    assert float(np.mean(cos)) == pytest.approx(kf["cosine_after"], abs=1e-6)
    assert kf["size_bytes"]["quantized"] < kf["size_bytes"]["with_keep_float"] \
        < kf["size_bytes"]["float"]
    # Worst layers first, each with a suggestion ending in the keep-float flag.
    sq = [e["local"]["sqnr"] for e in r["layers"]]
    assert sq == sorted(sq)
    assert all(e["suggestions"][-1].startswith("keep float: --keep-float") for e in r["layers"])


def test_cli_report_writes_json_and_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                         ) -> None:
    out = tmp_path / "rep"
    rc = main(["report", str(MNIST / "float.tflite"), "--data", str(MNIST / "calib.npz"),
               "--test", str(MNIST / "test.npz"), "--mode", "int8", "-o", str(out),
               "--samples", "40", "--target-cosine", "0.9999999", "--quiet"])
    assert rc == 0
    cap = capsys.readouterr()
    assert cap.out == "" and cap.err == ""
    data = json.loads((out / "report.json").read_text())
    assert data["mode"] == "int8" and data["samples"]["evaluation"] == 40
    assert {e["op_type"] for e in data["layers"]} >= {"CONV_2D", "FULLY_CONNECTED"}
    kf = data["keep_float"]
    assert kf["cosine_after"] >= kf["cosine_before"]
    assert set(kf["latency_ms"]["edgequant"]) == {"float", "quantized", "with_keep_float"}
    page = (out / "report.html").read_text()
    assert "Layers, worst local error first" in page and "--keep-float" in page
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "matplotlib is not installed" in page and data["plots"] == []
    else:
        assert data["plots"] and all((out / p).is_file() for p in data["plots"])


def test_cli_report_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["report", str(MNIST / "float.tflite"), "--data", str(MNIST / "calib.npz"),
               "--mode", "int8", "-o", str(tmp_path), "--target-cosine", "1.5"])
    assert rc == 1
    assert "--target-cosine" in capsys.readouterr().err
