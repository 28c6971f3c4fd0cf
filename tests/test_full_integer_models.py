"""Every shared float model in every full-integer mode: LiteRT loads and runs the file,
edgequant's interpreter reproduces LiteRT's reference kernels bit for bit, the planner's
rules hold, and quality and size meet TensorFlow's files (tests/data/ANCHORS.md)."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

import edgequant as eq
from edgequant.interpreter import Runner
from edgequant.tflite_io import load

from ophelpers import invoke_litert
from test_full_integer import check_rules

litert = pytest.importorskip("ai_edge_litert.interpreter")

DATA = Path(__file__).parent / "data"
ZOO = ["mnist_cnn", "digits_mobilenetish", "digits_lstm", "mobilenet_v2_096"]
REAL = ["mediapipe_hand_recrop_fp32", "tflm_sine_float_fp32"]
MODES = ["int8", "int8-only", "16x8"]
TF_NAME = {"int8": "full_int_float_fallback", "int8-only": "int_only_int8_io",
           "16x8": "int16x8"}


def _float_path(name: str) -> Path:
    return DATA / "real" / f"{name}.tflite" if name in REAL else DATA / name / "float.tflite"


@functools.lru_cache(maxsize=None)
def _inputs(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(calibration samples, test samples, labels or None), samples on axis 0."""
    if name in REAL:
        shape = load(_float_path(name)).main.inputs[0].shape[1:]
        rng = np.random.default_rng(0)
        if name.startswith("tflm_sine"):
            xs = rng.uniform(0, 2 * np.pi, (120, *shape)).astype(np.float32)
        else:  # smooth images in [0, 1]
            low = rng.uniform(0, 1, (120, 8, 8, 3))
            xs = np.kron(low, np.ones((1, 32, 32, 1))).astype(np.float32)
            xs += rng.normal(0, 0.02, xs.shape).astype(np.float32)
        return xs[:100], xs[100:], None
    calib = np.load(DATA / name / "calib.npz")["x"]
    test = np.load(DATA / name / "test.npz")
    return calib, test["x"], test["y"] if name != "mobilenet_v2_096" else None


@functools.lru_cache(maxsize=None)
def _convert(name: str, mode: str) -> bytes:
    conv = eq.TFLiteConverter.from_file(_float_path(name))
    conv.optimizations = [eq.Optimize.DEFAULT]
    shape = conv._model.main.inputs[0].shape
    calib = _inputs(name)[0][:100]
    conv.representative_dataset = lambda: ([s.reshape(shape)] for s in calib)
    if mode == "int8-only":
        conv.target_spec.supported_ops = {eq.OpsSet.TFLITE_BUILTINS_INT8}
        conv.inference_input_type = np.int8
        conv.inference_output_type = np.int8
    elif mode == "16x8":
        conv.target_spec.supported_ops = {
            eq.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8}
    return conv.convert()


def _feed(model: eq.Model, xs: np.ndarray) -> np.ndarray:
    t = model.main.inputs[0]
    if t.dtype == "float32":
        return xs.astype(np.float32)
    s, z = t.quantization.scale[0], t.quantization.zero_point[0]
    info = np.iinfo(t.dtype)
    return np.clip(np.round(xs / s) + z, info.min, info.max).astype(t.dtype)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ZOO + REAL)
def test_bit_exact_with_litert_reference(name: str, mode: str) -> None:
    data = _convert(name, mode)
    model = load(data)
    check_rules(model, "int16" if mode == "16x8" else "int8")
    xs = _feed(model, _inputs(name)[1][:8])
    shape = model.main.inputs[0].shape
    runner = Runner(model)
    for x in xs:
        x = x.reshape(shape)
        ours = runner.run_subgraph(model.main, [x])[0]
        it = invoke_litert(data, [x])
        theirs = it.get_tensor(it.get_output_details()[0]["index"])
        np.testing.assert_array_equal(ours, theirs)


def _quality(content: bytes, name: str) -> tuple[float | None, float]:
    _, xs, ys = _inputs(name)
    model = load(content)
    ref_model = load(_float_path(name))
    shape = ref_model.main.inputs[0].shape
    outs, refs = [], []
    it = litert.Interpreter(model_content=content)
    it.allocate_tensors()
    fit = litert.Interpreter(model_path=str(_float_path(name)))
    fit.allocate_tensors()
    q_in = _feed(model, xs)
    o = it.get_output_details()[0]
    for x, q in zip(xs, q_in):
        it.set_tensor(it.get_input_details()[0]["index"], q.reshape(shape))
        it.invoke()
        r = it.get_tensor(o["index"]).astype(np.float32)
        if o["dtype"] != np.float32:
            r = (r - o["quantization"][1]) * o["quantization"][0]
        outs.append(r.ravel())
        fit.set_tensor(fit.get_input_details()[0]["index"], x.reshape(shape))
        fit.invoke()
        refs.append(fit.get_tensor(fit.get_output_details()[0]["index"]).ravel())
    out, ref = np.array(outs), np.array(refs)
    cos = float(np.mean(np.sum(out * ref, 1) /
                        (np.linalg.norm(out, axis=1) * np.linalg.norm(ref, axis=1) + 1e-30)))
    top1 = None if ys is None else float(np.mean(out.argmax(1) == ys))
    return top1, cos


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ZOO)
def test_quality_and_size_meet_tf(name: str, mode: str) -> None:
    data = _convert(name, mode)
    top1, cos = _quality(data, name)
    tf_path = DATA / "tf_converted" / f"{name}__{TF_NAME[mode]}.tflite"
    if not tf_path.exists():  # TF's converter crashes on digits_lstm: compare with float
        f_top1, _ = _quality(_float_path(name).read_bytes(), name)
        assert top1 is not None and top1 >= f_top1 - 0.01, (top1, f_top1)
        return
    tf = tf_path.read_bytes()
    assert len(data) <= len(tf) * 1.02, (len(data), len(tf))
    tf_top1, tf_cos = _quality(tf, name)
    assert cos >= tf_cos - 0.002, (cos, tf_cos)
    if top1 is not None:
        assert top1 >= tf_top1 - 0.005, (top1, tf_top1)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ZOO + REAL)
def test_xnnpack_profile_within_one_lsb_of_default_litert(name: str, mode: str) -> None:
    """LiteRT's default path (XNNPACK delegate) against edgequant's 'xnnpack' profile: within
    one step of the output's quantization (exact where XNNPACK and the profile agree)."""
    data = _convert(name, mode)
    model = load(data)
    xs = _feed(model, _inputs(name)[1][:8])
    shape = model.main.inputs[0].shape
    runner = Runner(model, profile="xnnpack")
    out_t = model.main.outputs[0]
    # The integer output the model computes (before any final DEQUANTIZE) sets the step.
    prod = model.main.producer(out_t)
    q_t = prod.inputs[0] if prod is not None and prod.type == "DEQUANTIZE" else out_t
    step = float(q_t.quantization.scale[0])
    for x in xs:
        x = x.reshape(shape)
        ours = runner.run_subgraph(model.main, [x])[0]
        it = invoke_litert(data, [x], "AUTO")
        theirs = it.get_tensor(it.get_output_details()[0]["index"])
        diff = np.abs(ours.astype(np.float64) - theirs.astype(np.float64))
        if out_t.dtype != "float32":
            diff = diff * step
        assert diff.max() <= step * 1.001, (diff.max() / step)
