"""``edgequant evaluate`` and ``edgequant demo``: metrics checked against independent NumPy
computations on LiteRT's (and edgequant's) outputs, op kinds on known models, CLI output."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import edgequant as eq
from edgequant.cli import main
from edgequant.evaluate import compare_outputs, evaluate, format_table, op_kinds, prepare_inputs

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
FLOAT = DATA / "mnist_cnn" / "float.tflite"
TEST = DATA / "mnist_cnn" / "test.npz"
TF = DATA / "tf_converted"
INT8_IO = TF / "mnist_cnn__int_only_int8_io.tflite"
DYNAMIC = TF / "mnist_cnn__dynamic_range.tflite"
N = 120


@pytest.fixture(scope="module")
def test_set() -> tuple[np.ndarray, np.ndarray]:
    with np.load(TEST) as z:
        return z["x"][:N], z["y"][:N]


# --------------------------------------------------------------- independent reference ------
def _quantize_by_hand(x: np.ndarray, scale: float, zp: int) -> np.ndarray:
    v = x.astype(np.float32) / np.float32(scale)
    q = np.sign(v) * np.floor(np.abs(v) + 0.5) + zp  # half away from zero, as TfLiteRound
    return np.clip(q, -128, 127).astype(np.int8)


def _litert(path: Path, x: np.ndarray) -> np.ndarray:
    """Float outputs of ``path`` on LiteRT's reference kernels (int8 I/O handled by hand)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    it = Interpreter(model_path=str(path),
                     experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    d = it.get_input_details()[0]
    if d["dtype"] == np.int8:
        x = _quantize_by_hand(x, *d["quantization"])
    it.resize_tensor_input(d["index"], x.shape)
    it.allocate_tensors()
    it.set_tensor(d["index"], x)
    it.invoke()
    o = it.get_output_details()[0]
    y = it.get_tensor(o["index"])
    if o["dtype"] == np.int8:
        s, zp = o["quantization"]
        y = (y.astype(np.float64) - zp) * s
    return y.astype(np.float64)


def _by_hand(f: np.ndarray, q: np.ndarray, y: np.ndarray) -> dict[str, float]:
    f2, q2 = f.reshape(len(f), -1), q.reshape(len(q), -1)
    cos = np.sum(f2 * q2, 1) / (np.linalg.norm(f2, axis=1) * np.linalg.norm(q2, axis=1))
    return {"top1": float(np.mean(q.argmax(1) == y)),
            "agreement": float(np.mean(q.argmax(1) == f.argmax(1))),
            "cosine": float(cos.mean()),
            "sqnr_db": 10 * math.log10(np.sum(f2 ** 2) / np.sum((f2 - q2) ** 2)),
            "max_abs_error": float(np.abs(f2 - q2).max())}


def _check(row: dict, want: dict) -> None:
    assert row["top1"] == want["top1"]
    assert row["agreement"] == want["agreement"]
    assert row["cosine"] == pytest.approx(want["cosine"], abs=1e-6)
    assert row["sqnr_db"] == pytest.approx(want["sqnr_db"], abs=0.02)
    assert row["max_abs_error"] == pytest.approx(want["max_abs_error"], rel=1e-4, abs=1e-5)


@pytest.mark.parametrize("path", [INT8_IO, DYNAMIC], ids=["int8_io", "dynamic"])
def test_metrics_match_litert_by_hand(path: Path, test_set: tuple) -> None:
    pytest.importorskip("ai_edge_litert")
    x, y = test_set
    rows = evaluate(FLOAT, [path], x, y, latency=False)
    ref = _litert(FLOAT, x)
    assert rows[0]["top1"] == float(np.mean(ref.argmax(1) == y))
    _check(rows[1], _by_hand(ref, _litert(path, x), y))
    assert rows[1]["file_bytes"] == path.stat().st_size
    assert rows[1]["size_ratio"] == pytest.approx(path.stat().st_size / FLOAT.stat().st_size)
    assert rows[1]["samples"] == N


def test_metrics_match_edgequant_by_hand(test_set: tuple) -> None:
    """Same by-hand metrics on edgequant's own outputs, one sample at a time (no batching)."""
    x, y = test_set
    ref = np.concatenate([eq.run(eq.load(FLOAT), [x[i:i + 1]])[0] for i in range(N)])
    qm = eq.load(INT8_IO)
    (s_in, z_in), (s_out, z_out) = qm.main.inputs[0].qparams, qm.main.outputs[0].qparams
    q = np.concatenate([eq.run(qm, [_quantize_by_hand(x[i:i + 1], s_in, z_in)])[0]
                        for i in range(N)])
    q = (q.astype(np.float64) - z_out) * s_out
    rows = evaluate(eq.load(FLOAT), [INT8_IO.read_bytes()], {"x": x}, y, latency=False,
                    names=["int8 io"])
    assert [r["name"] for r in rows] == ["float", "int8 io"]
    _check(rows[1], _by_hand(ref.astype(np.float64), q, y))
    assert rows[0]["sqnr_db"] == math.inf and rows[0]["cosine"] == pytest.approx(1.0, abs=1e-12)
    assert rows[0]["agreement"] == 1.0 and rows[0]["max_abs_error"] == 0.0


def test_compare_outputs_edge_cases() -> None:
    a = np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 0.0]])
    same = compare_outputs([a], [a.copy()])
    assert same["cosine"] == pytest.approx(1.0, abs=1e-12)
    assert same["sqnr_db"] == math.inf and same["max_abs_error"] == 0
    b = np.array([[1.0, 2.0, 0.5], [0.0, 1.0, 0.0]])  # second sample: zero reference -> cos 0
    r = compare_outputs([a], [b])
    assert r["cosine"] == pytest.approx((5 / (math.sqrt(5) * math.sqrt(5.25)) + 0) / 2)
    assert r["sqnr_db"] == pytest.approx(10 * math.log10(5 / 1.25))
    assert r["max_abs_error"] == 1.0 and r["agreement"] == 0.5
    # Several outputs: metrics over all of them, agreement from the first.
    r2 = compare_outputs([a, a[:, :1]], [a, a[:, :1] + 1])
    assert r2["agreement"] == 1.0 and r2["sqnr_db"] == pytest.approx(10 * math.log10(6 / 2))


def test_prepare_inputs_rounds_half_away() -> None:
    m = eq.load(INT8_IO)
    t = m.main.inputs[0]
    t.quantization.scale = np.array([0.5], np.float32)
    t.quantization.zero_point = np.array([-1], np.int64)
    x = np.zeros((1, 28, 28), np.float32)
    x[0, 0, :6] = [0.25, 0.75, -0.25, 100.0, -100.0, 0.2]
    q = prepare_inputs(m, [x])[0]
    assert q.dtype == np.int8
    assert q[0, 0, :6].tolist() == [0, 1, -2, 127, -128, -1]


@pytest.mark.parametrize("name,kinds", [
    ("mnist_cnn/float.tflite", {"float": 5, "other": 6}),
    # TF leaves the 108-weight conv float (< 1024 elements): one hybrid FULLY_CONNECTED.
    ("tf_converted/mnist_cnn__dynamic_range.tflite", {"hybrid": 1, "float": 4, "other": 6}),
    ("tf_converted/mnist_cnn__float16.tflite",
     {"weight-only": 2, "float": 3, "other": 6, "quant": 4}),
    ("tf_converted/mnist_cnn__int_only_int8_io.tflite", {"int": 5, "other": 6}),
    ("tf_converted/mnist_cnn__full_int_float_fallback.tflite",
     {"int": 5, "other": 6, "quant": 2}),
    ("tf_converted/mnist_cnn__int16x8.tflite", {"int": 5, "other": 6, "quant": 2}),
    ("tf_converted/mobilenet_v2_096__full_int_float_fallback.tflite", {"int": 64, "quant": 2}),
    # WHILE is 'other'; the ops of its cond/body subgraphs are counted too.
    ("digits_lstm/float.tflite", {"float": 20, "other": 6}),
])
def test_op_kinds(name: str, kinds: dict[str, int]) -> None:
    got = op_kinds(eq.load(DATA / name))
    assert got == {k: kinds.get(k, 0) for k in got}


def test_evaluate_errors(test_set: tuple) -> None:
    x, y = test_set
    with pytest.raises(ValueError, match="labels"):
        evaluate(FLOAT, [DYNAMIC], x, y[:10], latency=False)
    with pytest.raises(ValueError, match="names"):
        evaluate(FLOAT, [DYNAMIC], x, names=["a", "b"], latency=False)


# ------------------------------------------------------------------------------- CLI --------
def test_cli_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", str(FLOAT), str(DYNAMIC), str(INT8_IO), "--data", str(TEST),
                 "--samples", "50", "--no-litert", "-q"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split()[:4] == ["model", "size", "ratio", "top-1"]
    assert "edgequant ms" in lines[0] and "LiteRT ms" not in lines[0]
    assert [ln.split()[0] for ln in lines[2:]] == ["float.tflite", DYNAMIC.name, INT8_IO.name]
    assert lines[3].split()[1] == f"{DYNAMIC.stat().st_size:,}"
    assert lines[3].endswith("1 hybrid, 4 float, 6 other")
    assert lines[4].endswith("5 int, 6 other")
    # Without labels the top-1 column goes.
    with np.load(TEST) as z:
        np.savez(tmp_path / "x.npz", x=z["x"][:20])
    assert main(["evaluate", str(FLOAT), str(DYNAMIC), "--data", str(tmp_path / "x.npz"),
                 "--no-latency"]) == 0
    head = capsys.readouterr().out.splitlines()[0]
    assert "top-1" not in head and "edgequant ms" not in head and "cosine" in head


def test_cli_json_matches_api(capsys: pytest.CaptureFixture[str], test_set: tuple) -> None:
    assert main(["-q", "evaluate", str(FLOAT), str(INT8_IO), "--data", str(TEST),
                 "--samples", str(N), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    api = evaluate(FLOAT, [INT8_IO], *test_set, latency=False)
    assert rows[0]["sqnr_db"] is None  # inf is not JSON
    for got, want in zip(rows, api):
        for key in ("file_bytes", "size_ratio", "top1", "agreement", "cosine", "max_abs_error",
                    "ops", "input_dtypes", "output_dtypes", "samples"):
            assert got[key] == want[key], key
        assert got["edgequant_ms"] > 0
    assert rows[1]["sqnr_db"] == pytest.approx(api[1]["sqnr_db"])
    assert rows[1]["input_dtypes"] == ["int8"]


def test_cli_error_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    other = DATA / "digits_mobilenetish" / "float.tflite"  # input [1,28,28,1], not [1,28,28]
    assert main(["evaluate", str(FLOAT), str(other), "--data", str(TEST), "--no-latency",
                 "-q"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("edgequant: error:")


def test_format_table_headers() -> None:
    rows = evaluate(FLOAT, [], np.load(TEST)["x"][:4], latency=False)
    text = format_table(rows, ["name", "size"], headers={"name": "mode"})
    assert text.splitlines()[0].split() == ["mode", "size"]


# ------------------------------------------------------------------------------ demo --------
def test_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-q", "demo", "--out", str(tmp_path), "--samples", "80"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("mode"))
    table = {ln.split()[0]: ln.split() for ln in lines[start + 2:start + 8]}
    assert list(table) == ["float", "dynamic", "float16", "int8", "int8-only", "16x8"]
    assert lines[start].split()[:5] == ["mode", "size", "ratio", "top-1", "agreement"]
    assert float(table["dynamic"][2]) < 0.35 and float(table["float16"][2]) < 0.6
    for mode, cells in table.items():
        assert float(cells[3]) >= 0.85, mode  # top-1 on the bundled test digits
        assert float(cells[4]) >= 0.95, mode  # agreement with float
        assert (tmp_path / f"mnist_cnn_{mode}.tflite").stat().st_size == \
            int(cells[1].replace(",", ""))
    int8_only = eq.load(tmp_path / "mnist_cnn_int8-only.tflite")
    assert int8_only.main.inputs[0].dtype == "int8" and int8_only.main.outputs[0].dtype == "int8"
    assert f"models written to {tmp_path}" in out


def test_demo_data_is_packaged() -> None:
    data = ROOT / "edgequant" / "data"
    names = {p.name for p in data.iterdir()}
    assert {"mnist_cnn.tflite", "mnist_cnn_test.npz", "mnist_cnn_calib.npz",
            "README.md"} <= names
    assert sum(p.stat().st_size for p in data.iterdir()) < 1_000_000
    with np.load(data / "mnist_cnn_calib.npz") as z, np.load(DATA / "mnist_cnn" /
                                                              "calib.npz") as ref:
        assert np.array_equal(z["x"], ref["x"][:100])
    assert 'edgequant = ["data/*"' in (ROOT / "pyproject.toml").read_text()
