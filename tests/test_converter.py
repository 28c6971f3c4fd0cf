"""TFLiteConverter: mode inference, dynamic-range and float16 conversion checked in LiteRT."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import edgequant as eq
from edgequant.converter import Optimize, OpsSet, TFLiteConverter

DATA = Path(__file__).parent / "data"
MODELS = ["mnist_cnn", "digits_mobilenetish", "digits_lstm", "mobilenet_v2_096"]
TF_NAME = {"dynamic": "dynamic_range", "float16": "float16"}

litert = pytest.importorskip("ai_edge_litert.interpreter")


def converter(name: str, mode: str, strategy: str = "auto") -> TFLiteConverter:
    c = TFLiteConverter.from_file(DATA / name / "float.tflite")
    c.optimizations = [Optimize.DEFAULT]
    if mode == "float16":
        c.target_spec.supported_types = [np.float16]
    c.dynamic_range_strategy = strategy
    return c


def litert_run(content: bytes, x: np.ndarray, resolver=None) -> np.ndarray:
    kind = resolver or litert.OpResolverType.AUTO
    it = litert.Interpreter(model_content=content, experimental_op_resolver_type=kind)
    it.allocate_tensors()
    d = it.get_input_details()[0]
    o = it.get_output_details()[0]["index"]
    outs = []
    for s in x:
        it.set_tensor(d["index"], s.reshape(d["shape"]))
        it.invoke()
        outs.append(it.get_tensor(o).copy())
    return np.concatenate(outs)


_cache: dict = {}


def outputs(name: str, key: str, content: bytes) -> np.ndarray:
    if (name, key) not in _cache:
        x = np.load(DATA / name / "test.npz")["x"]
        _cache[(name, key)] = litert_run(content, x)
    return _cache[(name, key)]


@pytest.mark.parametrize("mode", ["dynamic", "float16"])
@pytest.mark.parametrize("name", MODELS)
def test_converted_model_meets_tf(name: str, mode: str) -> None:
    data = converter(name, mode).convert()
    tf = (DATA / "tf_converted" / f"{name}__{TF_NAME[mode]}.tflite").read_bytes()
    assert len(data) <= len(tf) * 1.02, (len(data), len(tf))
    ref = outputs(name, "float", (DATA / name / "float.tflite").read_bytes())
    ours = outputs(name, f"ours-{mode}", data)
    theirs = outputs(name, f"tf-{mode}", tf)
    agree = np.mean(ours.argmax(-1) == ref.argmax(-1))
    tf_agree = np.mean(theirs.argmax(-1) == ref.argmax(-1))
    assert agree >= tf_agree, (agree, tf_agree)


@pytest.mark.parametrize("name", ["mnist_cnn", "mobilenet_v2_096", "digits_lstm"])
def test_tf_strategy_reproduces_tf_outputs(name: str) -> None:
    """strategy='tf' makes TF's choices with TF's weight rounding: LiteRT gives identical
    outputs for our file and TensorFlow's."""
    data = converter(name, "dynamic", "tf").convert()
    tf = (DATA / "tf_converted" / f"{name}__dynamic_range.tflite").read_bytes()
    x = np.load(DATA / name / "test.npz")["x"][:16]
    ref = litert.OpResolverType.BUILTIN_REF
    assert np.array_equal(litert_run(data, x, ref), litert_run(tf, x, ref))


def _structure(data: bytes) -> tuple[Counter, Counter]:
    m = eq.load(data)
    ops = Counter(f"{op.type} v{op.version}" for _, _, op in m.operators())
    consts = Counter(t.dtype for sg in m.subgraphs for t in sg.tensors if t.data is not None)
    return ops, consts


def test_structure_dynamic_mnist() -> None:
    ops, consts = _structure(converter("mnist_cnn", "dynamic").convert())
    # Conv weights have 108 elements (< 1024): float. Dense weights: hybrid, per-channel,
    # asymmetric inputs -> FULLY_CONNECTED v12.
    assert ops["CONV_2D v1"] == 1 and ops["FULLY_CONNECTED v12"] == 1
    assert "DEQUANTIZE v2" not in ops and consts["int8"] == 1
    m = eq.load(converter("mnist_cnn", "dynamic").convert())
    fc = next(op for op in m.main.operators if op.type == "FULLY_CONNECTED")
    w = fc.inputs[1]
    assert fc.options["asymmetric_quantize_inputs"] is True
    assert w.dtype == "int8" and w.quantization.scale.size == 10
    assert w.quantization.quantized_dimension == 0
    assert np.all(w.quantization.zero_point == 0) and np.abs(w.data).max() == 127


def test_structure_dynamic_mobilenet_strategies() -> None:
    auto, _ = _structure(converter("mobilenet_v2_096", "dynamic").convert())
    tf, _ = _structure(converter("mobilenet_v2_096", "dynamic", "tf").convert())
    # auto: convs weight-only (per-channel int8 + DEQUANTIZE v5), FC hybrid.
    assert auto["DEQUANTIZE v5"] == 37 and auto["FULLY_CONNECTED v12"] == 1
    # tf: hybrid conv (v5 per-channel) and depthwise (v6), no DEQUANTIZE.
    assert tf["CONV_2D v5"] == 27 and tf["DEPTHWISE_CONV_2D v6"] == 10
    assert not any(k.startswith("DEQUANTIZE") for k in tf)


def test_structure_float16() -> None:
    ops, consts = _structure(converter("mnist_cnn", "float16").convert())
    assert ops["DEQUANTIZE v3"] == 4 and consts["float16"] == 4 and consts["float32"] == 0
    m = eq.load(converter("mnist_cnn", "float16").convert())
    assert [t.dtype for t in m.main.inputs + m.main.outputs] == ["float32", "float32"]


def test_float16_clamps() -> None:
    from edgequant.weights import float16_tensor
    t = eq.Tensor("w", (3,), data=np.array([1e6, -1e6, 0.5], np.float32))
    assert float16_tensor(t).data.tolist() == [65504.0, -65504.0, 0.5]


def test_min_runtime_version_is_raised() -> None:
    m = eq.load(converter("mnist_cnn", "dynamic").convert())
    assert m.metadata["min_runtime_version"].rstrip(b"\0") == b"2.17.0"  # FULLY_CONNECTED v12


@pytest.mark.parametrize("strategy", ["auto", "tf"])
@pytest.mark.parametrize("name", MODELS)
def test_edgequant_runs_what_it_writes(name: str, strategy: str) -> None:
    """Our interpreter (hybrid kernels included) against LiteRT's reference kernels. The
    hybrid kernels are bit-exact per op (tests/test_hybrid.py); whole models differ only where
    a float kernel's last-bit difference moves a hybrid op's input quantization by one step."""
    for mode in ("dynamic", "float16"):
        data = converter(name, mode, strategy).convert()
        x = np.load(DATA / name / "test.npz")["x"][:4]
        want = litert_run(data, x, litert.OpResolverType.BUILTIN_REF)
        model = eq.load(data)
        got = np.concatenate([eq.run(model, [s[None]])[0] for s in x])
        scale = np.abs(want).max()
        bound = 0.15 if name == "mobilenet_v2_096" else 1e-4  # random-weight MobileNetV2
        assert np.max(np.abs(got - want)) <= bound * scale
        if name != "mobilenet_v2_096":  # near-tied logits of a random-init model
            assert np.array_equal(got.argmax(-1), want.argmax(-1))


@pytest.mark.parametrize("setup,mode", [
    (dict(), "float"),
    (dict(optimizations=[Optimize.DEFAULT]), "dynamic"),
    (dict(optimizations=[Optimize.OPTIMIZE_FOR_SIZE]), "dynamic"),
    (dict(optimizations=[Optimize.DEFAULT], supported_types=[np.float16]), "float16"),
    (dict(optimizations=[Optimize.DEFAULT], supported_types=["float16"]), "float16"),
    (dict(supported_types=[np.float16]), "float"),
    (dict(optimizations=[Optimize.DEFAULT], dataset=True), "int8"),
    (dict(optimizations=[Optimize.DEFAULT], dataset=True,
          ops={OpsSet.TFLITE_BUILTINS_INT8}), "int8-only"),
    (dict(optimizations=[Optimize.DEFAULT], dataset=True, supported_types=[np.int8]),
     "int8-only"),
    (dict(optimizations=[Optimize.DEFAULT], dataset=True,
          ops={OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8}), "16x8"),
])
def test_mode_inference(setup: dict, mode: str) -> None:
    c = TFLiteConverter.from_file(DATA / "mnist_cnn" / "float.tflite")
    c.optimizations = setup.get("optimizations", [])
    c.target_spec.supported_types = setup.get("supported_types", [])
    if "ops" in setup:
        c.target_spec.supported_ops = setup["ops"]
    if setup.get("dataset"):
        c.representative_dataset = lambda: iter([])
    assert c.mode() == mode


def test_contradictory_options() -> None:
    c = TFLiteConverter.from_file(DATA / "mnist_cnn" / "float.tflite")
    c.optimizations = [Optimize.DEFAULT]
    c.target_spec.supported_ops = {OpsSet.TFLITE_BUILTINS_INT8}
    with pytest.raises(eq.ConversionError, match="representative_dataset must be specified"):
        c.convert()
    c = TFLiteConverter.from_file(DATA / "mnist_cnn" / "float.tflite")
    c.inference_input_type = np.int8
    with pytest.raises(eq.ConversionError, match="full-integer"):
        c.convert()
    c = TFLiteConverter.from_file(DATA / "mnist_cnn" / "float.tflite")
    c.optimizations = [Optimize.DEFAULT]
    c.representative_dataset = lambda: iter([])
    with pytest.raises(eq.CalibrationError, match="no samples"):
        c.convert()
    c = TFLiteConverter.from_file(DATA / "mnist_cnn" / "float.tflite")
    c.optimizations = [Optimize.DEFAULT]
    c.representative_dataset = lambda: iter([])
    c.inference_input_type = np.int16  # int16 I/O belongs to 16x8
    with pytest.raises(eq.ConversionError, match="inference_input_type int16"):
        c.convert()


def test_already_quantized_model_is_refused() -> None:
    c = TFLiteConverter.from_file(DATA / "tf_converted" / "mnist_cnn__dynamic_range.tflite")
    c.optimizations = [Optimize.DEFAULT]
    with pytest.raises(eq.ConversionError, match="already quantized.*FULLY_CONNECTED"):
        c.convert()


def test_nothing_to_quantize_warns(caplog: pytest.LogCaptureFixture) -> None:
    path = DATA / "real" / "tflm_sine_float_fp32.tflite"  # 16x16 weights: under 1024
    c = TFLiteConverter.from_file(path)
    c.optimizations = [Optimize.DEFAULT]
    with caplog.at_level(logging.WARNING):
        data = c.convert()
    assert "no float weights" in caplog.text
    x = np.linspace(0, 6, 8, dtype=np.float32).reshape(8, 1)
    assert np.array_equal(litert_run(data, x), litert_run(path.read_bytes(), x))
    c.min_elements_for_weights = 16
    ops, consts = _structure(c.convert())
    assert consts["int8"] == 3


def test_cli_convert(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from edgequant.cli import main
    out = tmp_path / "m.tflite"
    assert main(["convert", str(DATA / "digits_lstm" / "float.tflite"), "-o", str(out),
                 "--mode", "dynamic"]) == 0
    text = capsys.readouterr().out
    assert "bytes ->" in text and "2 hybrid" in text
    assert "FULLY_CONNECTED: 1 float, 2 hybrid" in text
    assert out.exists() and out.stat().st_size < 25000
    assert main(["convert", str(out), "-o", str(out), "--mode", "dynamic"]) == 1
    assert "refusing to overwrite" in capsys.readouterr().err
