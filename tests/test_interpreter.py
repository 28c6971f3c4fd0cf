"""The NumPy interpreter on whole models, and its tf.lite.Interpreter-compatible API."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import edgequant as eq
from edgequant.interpreter import KernelError
from edgequant.ir import Model, Operator, Subgraph, Tensor
from edgequant.samples import batchable

DATA = Path(__file__).parent / "data"
FLOAT_MODELS = [DATA / m / "float.tflite" for m in
                ("mnist_cnn", "digits_mobilenetish", "digits_lstm", "mobilenet_v2_096")] + [
    DATA / "real" / "mediapipe_hand_recrop_fp32.tflite",
    DATA / "real" / "tflm_sine_float_fp32.tflite"]

litert = pytest.importorskip("ai_edge_litert.interpreter")


def samples(path: Path, n: int) -> np.ndarray:
    npz = path.parent / "test.npz"
    if npz.exists():
        return np.load(npz)["x"][:n]
    shape = litert.Interpreter(model_path=str(path)).get_input_details()[0]["shape"]
    rng = np.random.default_rng(42)
    if "sine" in path.name:
        return rng.uniform(0, 2 * np.pi, (n, *shape[1:])).astype(np.float32)
    # Smooth random images (realistic statistics for a vision model) in [0, 1].
    base = rng.random((n, 8, 8, shape[3]), dtype=np.float32)
    reps = (1, shape[1] // 8, shape[2] // 8, 1)
    return np.clip(np.tile(base, reps) + 0.05 * rng.standard_normal(
        (n, *shape[1:]), dtype=np.float32), 0, 1).astype(np.float32)


def litert_outputs(path: Path, x: np.ndarray) -> list[np.ndarray]:
    it = litert.Interpreter(model_path=str(path))
    it.allocate_tensors()
    d = it.get_input_details()[0]
    outs = []
    for s in x:
        it.set_tensor(d["index"], s.reshape(d["shape"]))
        it.invoke()
        outs.append([it.get_tensor(o["index"]).copy() for o in it.get_output_details()])
    return [np.concatenate([o[k] for o in outs]) for k in range(len(outs[0]))]


@pytest.mark.parametrize("path", FLOAT_MODELS, ids=lambda p: p.parent.name + "/" + p.name)
def test_float_model_matches_litert(path: Path) -> None:
    x = samples(path, 24)
    want = litert_outputs(path, x)
    model = eq.load(path)
    it = eq.Interpreter(model_path=str(path))
    it.allocate_tensors()
    d = it.get_input_details()[0]
    got: list[list[np.ndarray]] = []
    for s in x:
        it.set_tensor(d["index"], s.reshape(d["shape"]))
        it.invoke()
        got.append([it.get_tensor(o["index"]) for o in it.get_output_details()])
    for k, w in enumerate(want):
        g = np.concatenate([o[k] for o in got])
        assert g.shape == w.shape and g.dtype == w.dtype
        cos = float(np.dot(g.ravel(), w.ravel()) /
                    (np.linalg.norm(g) * np.linalg.norm(w) + 1e-30))
        assert cos >= 0.999999, cos
        assert np.max(np.abs(g - w)) <= 1e-4 * np.max(np.abs(w))
    # The plain function runs a dynamic-batch model in one pass with the same results.
    if batchable(model):
        batched = eq.run(model, [x.reshape(-1, *d["shape"][1:])])
        np.testing.assert_allclose(batched[0], want[0], rtol=1e-4,
                                   atol=1e-4 * np.abs(want[0]).max())


def test_details_match_litert() -> None:
    for path in [DATA / "mnist_cnn" / "float.tflite",
                 DATA / "tf_converted" / "mobilenet_v2_096__float16.tflite"]:
        ours = eq.Interpreter(model_path=str(path))
        theirs = litert.Interpreter(model_path=str(path))
        for a, b in ((ours.get_input_details(), theirs.get_input_details()),
                     (ours.get_output_details(), theirs.get_output_details())):
            for da, db in zip(a, b):
                assert set(da) == set(db)
                for key in ("name", "index", "dtype", "quantization"):
                    assert da[key] == db[key], key
                for key in ("shape", "shape_signature"):
                    assert np.array_equal(da[key], db[key]), key
                for key in ("scales", "zero_points"):
                    qa, qb = da["quantization_parameters"][key], db["quantization_parameters"][key]
                    assert np.array_equal(qa, qb) and qa.dtype == qb.dtype
        assert ours.get_signature_list() == theirs.get_signature_list()


def test_set_tensor_checks_dtype_and_shape() -> None:
    it = eq.Interpreter(model_path=str(DATA / "mnist_cnn" / "float.tflite"))
    it.allocate_tensors()
    idx = it.get_input_details()[0]["index"]
    with pytest.raises(ValueError, match="expected type float32"):
        it.set_tensor(idx, np.zeros((1, 28, 28), np.float64))
    with pytest.raises(ValueError, match=r"got shape \[1, 28\] but expected \[1, 28, 28\]"):
        it.set_tensor(idx, np.zeros((1, 28), np.float32))
    with pytest.raises(ValueError, match="not an input"):
        it.set_tensor(idx + 1, np.zeros((1, 28, 28), np.float32))
    # A [28, 28] array would broadcast in NumPy; the interpreter refuses it.
    with pytest.raises(ValueError, match="dimension mismatch"):
        it.set_tensor(idx, np.zeros((28, 28), np.float32))


def test_resize_and_batch() -> None:
    path = DATA / "mnist_cnn" / "float.tflite"
    x = np.load(DATA / "mnist_cnn" / "test.npz")["x"][:5]
    it = eq.Interpreter(model_path=str(path))
    idx = it.get_input_details()[0]["index"]
    it.resize_tensor_input(idx, [5, 28, 28], strict=True)
    it.allocate_tensors()
    it.set_tensor(idx, x)
    it.invoke()
    out = it.get_tensor(it.get_output_details()[0]["index"])
    assert out.shape == (5, 10)
    one = eq.Interpreter(model_path=str(path))
    one.allocate_tensors()
    one.set_tensor(idx, x[2:3])
    one.invoke()
    np.testing.assert_allclose(out[2:3], one.get_tensor(one.get_output_details()[0]["index"]),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="only dimensions that are -1"):
        it.resize_tensor_input(idx, [5, 14, 56], strict=True)


def test_signature_runner_and_tensor_view() -> None:
    path = DATA / "mnist_cnn" / "float.tflite"
    x = np.load(DATA / "mnist_cnn" / "test.npz")["x"][:1]
    it = eq.Interpreter(model_path=str(path))
    it.allocate_tensors()
    runner = it.get_signature_runner()
    out = runner(keras_tensor=x)
    assert list(out) == ["output_0"]
    view = it.tensor(it.get_input_details()[0]["index"])
    view()[...] = x  # writing through tensor() sets the input, as in tf.lite
    it.invoke()
    np.testing.assert_array_equal(out["output_0"],
                                  it.get_tensor(it.get_output_details()[0]["index"]))
    with pytest.raises(ValueError, match="missing"):
        runner()


def test_run_returns_intermediates() -> None:
    model = eq.load(DATA / "mnist_cnn" / "float.tflite")
    x = np.load(DATA / "mnist_cnn" / "test.npz")["x"][:3]
    outs, values = eq.run(model, {"keras_tensor": x}, return_intermediates=True)
    conv = next(op for op in model.main.operators if op.type == "CONV_2D")
    assert values[conv.outputs[0]].shape == (3, 26, 26, 12)
    assert np.array_equal(values[model.main.outputs[0]], outs[0])


def test_unsupported_op_is_named() -> None:
    sg = Subgraph(name="main")
    x, y = Tensor("x", (2,)), Tensor("y", (2,))
    sg.tensors, sg.inputs, sg.outputs = [x, y], [x], [y]
    sg.operators = [Operator("CUSTOM", [x], [y], custom_code="VendorMagic")]
    with pytest.raises(eq.UnsupportedOpError) as exc:
        eq.run(Model(subgraphs=[sg]), [np.zeros(2, np.float32)])
    msg = str(exc.value)
    assert "CUSTOM (VendorMagic) (subgraph 0 'main', op 0)" in msg
    assert "supported ops:" in msg and "CONV_2D" in msg


def test_kernel_failure_names_the_op() -> None:
    sg = Subgraph(name="main")
    a, b, y = Tensor("a", (-1,)), Tensor("b", (-1,)), Tensor("y", (-1,))
    a.shape_signature = b.shape_signature = (-1,)
    sg.tensors, sg.inputs, sg.outputs = [a, b, y], [a, b], [y]
    sg.operators = [Operator("ADD", [a, b], [y], {"fused_activation_function": "NONE"})]
    with pytest.raises(KernelError, match=r"ADD \(subgraph 0, op 0\).*do not broadcast"):
        eq.run(Model(subgraphs=[sg]), [np.zeros(3, np.float32), np.zeros(4, np.float32)])


def test_intermediates_need_preserve_all_tensors() -> None:
    path = str(DATA / "mnist_cnn" / "float.tflite")
    x = np.load(DATA / "mnist_cnn" / "test.npz")["x"][:1]
    model = eq.load(path)
    conv = next(op for op in model.main.operators if op.type == "CONV_2D")
    conv_out = model.main.tensors.index(conv.outputs[0])
    for preserve in (False, True):
        it = eq.Interpreter(model_path=path, experimental_preserve_all_tensors=preserve)
        it.allocate_tensors()
        it.set_tensor(it.get_input_details()[0]["index"], x)
        it.invoke()
        if preserve:
            assert it.get_tensor(conv_out).shape == (1, 26, 26, 12)
        else:
            with pytest.raises(ValueError, match="experimental_preserve_all_tensors"):
                it.get_tensor(conv_out)
