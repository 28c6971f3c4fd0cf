"""The Keras 3 frontend (``TFLiteConverter.from_keras_model``).

* The bundled zoo's ``model.keras`` files (read with json + h5py, no Keras) give float models
  that match TensorFlow's ``float.tflite`` (cosine >= 0.99999 on the test set in LiteRT) with
  the same op mix or a smaller one, and every quantization mode converts and runs in LiteRT.
* TensorFlow's quantization tutorial snippets run with ``import edgequant as lite``.
* Every supported layer type, in randomized configurations, matches Keras's own forward pass
  (Keras 3 on the torch backend is the oracle; those tests skip without Keras).
"""

from __future__ import annotations

import importlib.util
import json
import os
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras

from ophelpers import run_litert

import edgequant as eq
from edgequant.tflite_io import load

DATA = Path(__file__).parent / "data"
ZOO = ["mnist_cnn", "digits_mobilenetish", "digits_lstm", "mobilenet_v2_096"]
MODES = ["dynamic", "float16", "int8", "int8-only", "16x8"]

try:
    import h5py  # noqa: F401
    HAVE_H5PY = True
except ImportError:
    HAVE_H5PY = False
needs_h5py = pytest.mark.skipif(not HAVE_H5PY, reason="reading .keras files needs h5py")
HAVE_LITERT = importlib.util.find_spec("ai_edge_litert") is not None
needs_litert = pytest.mark.skipif(not HAVE_LITERT, reason="needs ai-edge-litert")


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def _litert(content: bytes, xs: np.ndarray) -> np.ndarray:
    """Float outputs for samples ``xs`` (axis 0), batched where the model allows it; int8/int16
    I/O is quantized and dequantized with the tensors' parameters."""
    m = load(content)
    t = m.main.inputs[0]
    batched = t.shape_signature is not None and t.shape_signature[0] == -1
    chunks = [xs] if batched else [xs[i:i + 1].reshape(t.shape) for i in range(len(xs))]
    outs = []
    for x in chunks:
        if t.dtype in ("int8", "int16") and t.quantization is not None:
            s, z = t.quantization.scale[0], int(t.quantization.zero_point[0])
            info = np.iinfo(t.dtype)
            x = np.clip(np.round(x / s) + z, info.min, info.max).astype(t.dtype)
        (y,) = run_litert(content, [x.astype(t.np_dtype)], ref=False)
        o = m.main.outputs[0]
        if o.dtype in ("int8", "int16") and o.quantization is not None:
            s, z = o.quantization.scale[0], int(o.quantization.zero_point[0])
            y = (y.astype(np.float32) - z) * s
        outs.append(y.reshape(len(x), -1))
    return np.concatenate(outs)


def _keras_path(name: str) -> Path:
    return DATA / name / "model.keras"


# -- the zoo: .keras files read without Keras ---------------------------------------------------
@needs_h5py
@needs_litert
@pytest.mark.parametrize("name", ZOO)
def test_zoo_float_matches_tensorflow(name: str) -> None:
    ours = eq.TFLiteConverter.from_keras_model(_keras_path(name)).convert()
    theirs = (DATA / name / "float.tflite").read_bytes()
    xs = np.load(DATA / name / "test.npz")["x"].astype(np.float32)
    if name == "digits_lstm":
        xs = xs[:100]  # batch 1, a sample per invoke
    a, b = _litert(ours, xs), _litert(theirs, xs)
    assert _cos(a, b) >= 0.99999
    assert (a.argmax(-1) == b.argmax(-1)).mean() >= 0.99
    mine = Counter(op.type for _, _, op in load(ours).operators())
    tf = Counter(op.type for _, _, op in load(theirs).operators())
    assert all(mine[k] <= tf[k] for k in mine), (mine, tf)
    # Same I/O contract: shapes, dynamic batch where TF has one, signature.
    mo, to = load(ours), load(theirs)
    assert [t.shape for t in mo.main.inputs] == [t.shape for t in to.main.inputs]
    assert [t.shape_signature for t in mo.main.inputs] == \
        [t.shape_signature for t in to.main.inputs]
    assert mo.signature_defs[0].key == "serving_default"


# Cosine to the float model that each mode must reach on the test samples (TensorFlow's own
# files reach about the same: tests/data/ANCHORS.md; mobilenet_v2_096 has random weights).
_MIN_COS = {("mobilenet_v2_096", "int8"): 0.75, ("mobilenet_v2_096", "int8-only"): 0.75,
            ("mobilenet_v2_096", "16x8"): 0.9, ("mobilenet_v2_096", "dynamic"): 0.98}


def _configure(conv: eq.TFLiteConverter, mode: str, calib: np.ndarray) -> None:
    shape = conv._model.main.inputs[0].shape
    conv.optimizations = [eq.Optimize.DEFAULT]
    if mode == "float16":
        conv.target_spec.supported_types = [np.float16]
    if mode in ("int8", "int8-only", "16x8"):
        conv.representative_dataset = lambda: ([s.reshape(shape)] for s in calib)
    if mode == "int8-only":
        conv.target_spec.supported_ops = {eq.OpsSet.TFLITE_BUILTINS_INT8}
        conv.inference_input_type = np.int8
        conv.inference_output_type = np.int8
    if mode == "16x8":
        conv.target_spec.supported_ops = {
            eq.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8}


@needs_h5py
@needs_litert
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ZOO)
def test_zoo_quantizes_in_every_mode(name: str, mode: str) -> None:
    calib = np.load(DATA / name / "calib.npz")["x"].astype(np.float32)[:100]
    xs = np.load(DATA / name / "test.npz")["x"].astype(np.float32)[:24]
    float_model = eq.TFLiteConverter.from_keras_model(_keras_path(name)).convert()
    conv = eq.TFLiteConverter.from_keras_model(_keras_path(name))
    _configure(conv, mode, calib)
    assert conv.mode() == mode
    content = conv.convert()
    y, ref = _litert(content, xs), _litert(float_model, xs)
    assert np.all(np.isfinite(y))
    assert _cos(y, ref) >= _MIN_COS.get((name, mode), 0.99)
    m = load(content)
    acts = {t.dtype for sg in m.subgraphs for t in sg.tensors if t.data is None}
    if mode == "int8-only":
        assert "float32" not in acts
    if mode == "16x8":
        assert "int16" in acts


# -- TensorFlow's post-training quantization tutorial, with `import edgequant as lite` ----------
@needs_h5py
def test_tutorial_snippets_on_bundled_model() -> None:
    import edgequant as lite

    keras_file = str(_keras_path("mnist_cnn"))
    train = np.load(DATA / "mnist_cnn" / "calib.npz")["x"].astype(np.float32)
    test = np.load(DATA / "mnist_cnn" / "test.npz")
    test_images, test_labels = test["x"].astype(np.float32)[:100], test["y"][:100]

    def evaluate(tflite_model: bytes) -> float:
        interpreter = lite.Interpreter(model_content=tflite_model)
        interpreter.allocate_tensors()
        input_details = interpreter.get_input_details()[0]
        output_details = interpreter.get_output_details()[0]
        hits = 0
        for image, label in zip(test_images, test_labels):
            if input_details["dtype"] == np.int8:
                scale, zero_point = input_details["quantization"]
                image = np.round(image / scale + zero_point).clip(-128, 127)
            interpreter.set_tensor(input_details["index"],
                                   image[None].astype(input_details["dtype"]))
            interpreter.invoke()
            hits += int(interpreter.get_tensor(output_details["index"])[0].argmax() == label)
        return hits / len(test_labels)

    # Float.
    converter = lite.TFLiteConverter.from_keras_model(keras_file)
    tflite_model = converter.convert()
    float_acc = evaluate(tflite_model)
    assert float_acc > 0.8

    # Dynamic range quantization.
    converter = lite.TFLiteConverter.from_keras_model(keras_file)
    converter.optimizations = [lite.Optimize.DEFAULT]
    tflite_quant_model = converter.convert()
    assert len(tflite_quant_model) < len(tflite_model) / 3
    assert evaluate(tflite_quant_model) >= float_acc - 0.02

    # Full integer quantization (float fallback) with a representative dataset.
    def representative_data_gen():
        for input_value in train[:100]:
            yield [input_value[None]]

    converter = lite.TFLiteConverter.from_keras_model(keras_file)
    converter.optimizations = [lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_data_gen
    tflite_model_quant = converter.convert()
    interpreter = lite.Interpreter(model_content=tflite_model_quant)
    assert interpreter.get_input_details()[0]["dtype"] == np.float32
    assert evaluate(tflite_model_quant) >= float_acc - 0.03

    # Integer only, int8 input and output.
    converter = lite.TFLiteConverter.from_keras_model(keras_file)
    converter.optimizations = [lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_data_gen
    converter.target_spec.supported_ops = [lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = np.int8
    converter.inference_output_type = np.int8
    tflite_model_quant = converter.convert()
    interpreter = lite.Interpreter(model_content=tflite_model_quant)
    assert interpreter.get_input_details()[0]["dtype"] == np.int8
    assert interpreter.get_output_details()[0]["dtype"] == np.int8
    assert evaluate(tflite_model_quant) >= float_acc - 0.03

    # Float16 weights.
    converter = lite.TFLiteConverter.from_keras_model(keras_file)
    converter.optimizations = [lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [np.float16]
    tflite_fp16_model = converter.convert()
    assert len(tflite_fp16_model) < len(tflite_model) * 0.6
    assert evaluate(tflite_fp16_model) == float_acc


# -- errors -------------------------------------------------------------------------------------
def _keras_zip(tmp_path: Path, config: dict[str, Any]) -> Path:
    p = tmp_path / "m.keras"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("config.json", json.dumps(config))
        z.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
    return p


def _sequential(*layers: dict[str, Any]) -> dict[str, Any]:
    inp = {"class_name": "InputLayer", "config": {"batch_shape": [None, 4], "dtype": "float32",
                                                   "name": "inp"}}
    return {"class_name": "Sequential", "config": {"name": "s", "layers": [inp, *layers]}}


def test_unsupported_layer_names_layer_and_class(tmp_path: Path) -> None:
    cfg = _sequential({"class_name": "FancyAttention", "config": {"name": "my_fancy_layer"}})
    with pytest.raises(eq.UnsupportedOpError, match=r"'my_fancy_layer' \(FancyAttention\)"):
        eq.TFLiteConverter.from_keras_model(_keras_zip(tmp_path, cfg))


def test_unsupported_option_names_layer(tmp_path: Path) -> None:
    cfg = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 4, 4, 2], "name": "i"}},
        {"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": [1, 1],
                                            "data_format": "channels_first"}}]}}
    with pytest.raises(eq.UnsupportedOpError, match=r"'c' \(Conv2D\).*channels_first"):
        eq.TFLiteConverter.from_keras_model(_keras_zip(tmp_path, cfg))


def test_not_a_keras_file(tmp_path: Path) -> None:
    p = tmp_path / "model.h5"
    p.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(64))
    with pytest.raises(eq.ConversionError, match="legacy Keras 2"):
        eq.TFLiteConverter.from_keras_model(p)
    with pytest.raises(eq.ConversionError, match="keras.Model or a path"):
        eq.TFLiteConverter.from_keras_model(42)
    with pytest.raises(eq.ConversionError, match="from_saved_model"):
        eq.TFLiteConverter.from_keras_model(tmp_path)


def test_from_saved_model_without_tensorflow(tmp_path: Path) -> None:
    if importlib.util.find_spec("tensorflow") is not None:
        pytest.skip("TensorFlow is installed")
    with pytest.raises(eq.ConversionError, match="needs TensorFlow"):
        eq.TFLiteConverter.from_saved_model(tmp_path)


# -- every layer type against Keras's forward pass ----------------------------------------------
@pytest.fixture(scope="module")
def keras() -> Any:
    return pytest.importorskip("keras")


def _randomize(model: Any, rng: np.random.Generator) -> None:
    """Random weights (positive variances, so BatchNormalization stays finite)."""
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if type(layer).__name__ == "Normalization":  # adapted statistics stay as they are
            continue
        ws = layer.get_weights()
        if not ws:
            continue
        new = []
        for w, v in zip(ws, layer.weights):
            if w.dtype.kind != "f" or w.ndim == 0:
                new.append(w)
            elif "variance" in v.path:
                new.append(rng.uniform(0.3, 2.0, w.shape).astype(w.dtype))
            else:
                new.append(rng.normal(0, 0.6, w.shape).astype(w.dtype))
        layer.set_weights(new)


def _act(rng: np.random.Generator) -> str | None:
    return rng.choice([None, "relu", "relu6", "sigmoid", "tanh", "gelu", "hard_swish", "silu",
                       "elu", "selu", "leaky_relu", "hard_sigmoid", "softmax", "linear"])


Case = Callable[[Any, np.random.Generator], tuple[list[Any], tuple[int, ...]]]


def _seq(keras: Any, shape: tuple[int, ...], layers: list[Any], dtype: str = "float32") -> Any:
    return keras.Sequential([keras.Input(shape, dtype=dtype), *layers])


def _k(rng: np.random.Generator, lo: int = 1, hi: int = 3) -> int:
    return int(rng.integers(lo, hi + 1))


def c_dense(keras, rng):
    L = keras.layers
    shape = (_k(rng, 2, 6),) if rng.random() < 0.5 else (_k(rng, 2, 4), _k(rng, 2, 5))
    return _seq(keras, shape, [L.Dense(_k(rng, 1, 7), activation=_act(rng),
                                       use_bias=bool(rng.random() < 0.7))])


def c_conv2d(keras, rng):
    L = keras.layers
    s = _k(rng, 1, 2)
    d = 1 if s > 1 else _k(rng, 1, 2)
    return _seq(keras, (_k(rng, 6, 11), _k(rng, 6, 11), _k(rng, 1, 4)), [
        L.Conv2D(_k(rng, 1, 5), (_k(rng), _k(rng)), strides=s, dilation_rate=d,
                 padding=rng.choice(["valid", "same"]), use_bias=bool(rng.random() < 0.7),
                 activation=rng.choice([None, "relu", "relu6", "tanh"]))])


def c_conv1d(keras, rng):
    L = keras.layers
    s = _k(rng, 1, 2)
    pad = rng.choice(["valid", "same", "causal"])
    d = 1 if s > 1 else _k(rng, 1, 2)
    return _seq(keras, (_k(rng, 8, 14), _k(rng, 1, 4)), [
        L.Conv1D(_k(rng, 1, 5), _k(rng, 1, 4), strides=s, dilation_rate=d, padding=pad,
                 activation=rng.choice([None, "relu"]))])


def c_depthwise(keras, rng):
    L = keras.layers
    s = _k(rng, 1, 2)
    return _seq(keras, (_k(rng, 6, 10), _k(rng, 6, 10), _k(rng, 1, 4)), [
        L.DepthwiseConv2D((_k(rng), _k(rng)), strides=s, depth_multiplier=_k(rng, 1, 2),
                          dilation_rate=1 if s > 1 else _k(rng, 1, 2),
                          padding=rng.choice(["valid", "same"]),
                          use_bias=bool(rng.random() < 0.5),
                          activation=rng.choice([None, "relu6"]))])


def c_separable(keras, rng):
    L = keras.layers
    if rng.random() < 0.5:
        return _seq(keras, (_k(rng, 6, 10), _k(rng, 6, 10), _k(rng, 1, 4)), [
            L.SeparableConv2D(_k(rng, 1, 5), _k(rng, 1, 3), strides=_k(rng, 1, 2),
                              depth_multiplier=_k(rng, 1, 2),
                              padding=rng.choice(["valid", "same"]),
                              activation=rng.choice([None, "relu"]))])
    return _seq(keras, (_k(rng, 8, 12), _k(rng, 1, 4)), [
        L.SeparableConv1D(_k(rng, 1, 5), _k(rng, 1, 3), padding=rng.choice(["valid", "same"]),
                          depth_multiplier=_k(rng, 1, 2))])


def c_conv_transpose(keras, rng):
    L = keras.layers
    return _seq(keras, (_k(rng, 3, 6), _k(rng, 3, 6), _k(rng, 1, 4)), [
        L.Conv2DTranspose(_k(rng, 1, 4), (_k(rng, 1, 4), _k(rng, 1, 4)), strides=_k(rng, 1, 3),
                          padding=rng.choice(["valid", "same"]),
                          use_bias=bool(rng.random() < 0.7),
                          activation=rng.choice([None, "relu"]))])


def c_pool(keras, rng):
    L = keras.layers
    pad = rng.choice(["valid", "same"])
    if rng.random() < 0.6:
        cls = rng.choice([L.MaxPooling2D, L.AveragePooling2D])
        return _seq(keras, (_k(rng, 6, 11), _k(rng, 6, 11), _k(rng, 1, 3)), [
            cls((_k(rng, 1, 3), _k(rng, 1, 3)), strides=(_k(rng, 1, 3), _k(rng, 1, 3)),
                padding=pad)])
    cls = rng.choice([L.MaxPooling1D, L.AveragePooling1D])
    return _seq(keras, (_k(rng, 6, 12), _k(rng, 1, 3)), [cls(_k(rng, 1, 3), padding=pad)])


def c_global_pool(keras, rng):
    L = keras.layers
    keep = bool(rng.random() < 0.5)
    if rng.random() < 0.5:
        cls = rng.choice([L.GlobalAveragePooling2D, L.GlobalMaxPooling2D])
        return _seq(keras, (_k(rng, 2, 6), _k(rng, 2, 6), _k(rng, 1, 4)), [cls(keepdims=keep)])
    cls = rng.choice([L.GlobalAveragePooling1D, L.GlobalMaxPooling1D])
    return _seq(keras, (_k(rng, 2, 8), _k(rng, 1, 4)), [cls(keepdims=keep)])


def c_pad_conv(keras, rng):
    """ZeroPadding2D before a VALID conv: folded into SAME where it pads as SAME would."""
    L = keras.layers
    s = _k(rng, 1, 2)
    k = _k(rng, 2, 3)
    pads = rng.choice([0, 1], size=4).tolist() if rng.random() < 0.5 else \
        [(k - 1) // 2, k - 1 - (k - 1) // 2] * 2
    return _seq(keras, (_k(rng, 6, 10), _k(rng, 6, 10), _k(rng, 1, 3)), [
        L.ZeroPadding2D(((pads[0], pads[1]), (pads[2], pads[3]))),
        L.DepthwiseConv2D(k, strides=s) if rng.random() < 0.5 else L.Conv2D(2, k, strides=s)])


def c_pad_crop(keras, rng):
    L = keras.layers
    if rng.random() < 0.5:
        return _seq(keras, (_k(rng, 5, 8), _k(rng, 5, 8), 2), [
            L.ZeroPadding2D(((_k(rng, 0, 2), _k(rng, 0, 2)), (_k(rng, 0, 2), _k(rng, 0, 2)))),
            L.Cropping2D(((_k(rng, 0, 2), _k(rng, 0, 2)), (_k(rng, 0, 2), _k(rng, 0, 2))))])
    return _seq(keras, (_k(rng, 5, 8), 3), [L.ZeroPadding1D((_k(rng, 0, 2), _k(rng, 0, 2))),
                                            L.Cropping1D((_k(rng, 0, 2), _k(rng, 0, 2)))])


def c_upsampling(keras, rng):
    L = keras.layers
    if rng.random() < 0.7:
        return _seq(keras, (_k(rng, 2, 5), _k(rng, 2, 5), _k(rng, 1, 3)), [
            L.UpSampling2D((_k(rng, 1, 3), _k(rng, 1, 3)),
                           interpolation=rng.choice(["nearest", "bilinear"]))])
    return _seq(keras, (_k(rng, 2, 6), 2), [L.UpSampling1D(_k(rng, 1, 3))])


def c_shapes(keras, rng):
    L = keras.layers
    h, w, c = _k(rng, 2, 4), _k(rng, 2, 4), _k(rng, 1, 3)
    perm = tuple(int(p) + 1 for p in rng.permutation(3))
    return _seq(keras, (h, w, c), [L.Permute(perm), L.Reshape((-1, c * w if perm[2] != 3
                                                               else c)),
                                   L.Flatten(), L.RepeatVector(_k(rng, 1, 3))])


def c_activations(keras, rng):
    L = keras.layers
    shape = (_k(rng, 2, 5), _k(rng, 2, 5))
    layer = rng.choice([
        lambda: L.Activation(_act(rng) or "linear"),
        lambda: L.ReLU(max_value=rng.choice([None, 6.0, 1.5])),
        lambda: L.ReLU(negative_slope=float(rng.uniform(0.05, 0.5))),
        lambda: L.LeakyReLU(negative_slope=float(rng.uniform(0.05, 0.5))),
        lambda: L.PReLU(shared_axes=[1] if rng.random() < 0.5 else None),
        lambda: L.ELU(alpha=float(rng.uniform(0.5, 1.5))),
        lambda: L.Softmax(),
    ])()
    return _seq(keras, shape, [layer, L.Dropout(0.5)])


def c_merge(keras, rng):
    L = keras.layers
    shape = (_k(rng, 2, 4), _k(rng, 2, 5))
    a, b, c = keras.Input(shape), keras.Input(shape), keras.Input(shape)
    kind = rng.choice(["add", "sub", "mul", "avg", "max", "min", "concat"])
    xs = [a, b, c] if kind not in ("sub",) else [a, b]
    layer = {"add": L.Add, "sub": L.Subtract, "mul": L.Multiply, "avg": L.Average,
             "max": L.Maximum, "min": L.Minimum}.get(kind)
    y = L.Concatenate(axis=int(rng.choice([1, 2, -1])))(xs) if layer is None else layer()(xs)
    shared = L.Dense(3, activation="relu")
    out = L.Add()([shared(y), shared(a if kind != "concat" else y)])
    return keras.Model([a, b, c], [out, y])


def c_batchnorm(keras, rng):
    L = keras.layers
    where = rng.choice(["conv", "dense", "alone", "depthwise"])
    if where == "dense":
        body = [L.Dense(4, use_bias=bool(rng.random() < 0.5)), L.BatchNormalization(),
                L.ReLU()]
        return _seq(keras, (5,), body)
    if where == "alone":
        return _seq(keras, (3, 4, 5), [L.BatchNormalization(
            center=bool(rng.random() < 0.5), scale=bool(rng.random() < 0.5))])
    conv = L.Conv2D(4, 3, padding="same", use_bias=False) if where == "conv" else \
        L.DepthwiseConv2D(3, padding="same", use_bias=False)
    return _seq(keras, (6, 6, 3), [conv, L.BatchNormalization(epsilon=1e-3), L.ReLU(6.0)])


def c_layernorm(keras, rng):
    L = keras.layers
    return _seq(keras, (_k(rng, 2, 5), _k(rng, 2, 6)), [L.LayerNormalization(
        epsilon=float(rng.choice([1e-3, 1e-5])), center=bool(rng.random() < 0.7),
        scale=bool(rng.random() < 0.7), rms_scaling=bool(rng.random() < 0.2))])


def c_rescale_norm(keras, rng):
    L = keras.layers
    n = _k(rng, 2, 5)
    mean = rng.normal(size=n).tolist()
    var = rng.uniform(0.1, 3, n).tolist()
    if rng.random() < 0.5:  # statistics from adapt(), stored as the layer's weights
        norm = L.Normalization(axis=-1)
        norm.adapt(rng.normal(0.5, 2.0, (50, 3, n)).astype(np.float32))
    else:
        norm = L.Normalization(mean=mean, variance=var, invert=bool(rng.random() < 0.3))
    return _seq(keras, (3, n), [L.Rescaling(float(rng.uniform(0.1, 2)),
                                            offset=float(rng.normal())), norm])


def c_embedding(keras, rng):
    L = keras.layers
    vocab = _k(rng, 5, 30)
    return _seq(keras, (_k(rng, 2, 8),), [L.Embedding(vocab, _k(rng, 2, 6)),
                                          L.GlobalAveragePooling1D()],
                dtype="int32"), vocab


def c_recurrent(keras, rng):
    L = keras.layers
    kind = rng.choice(["LSTM", "GRU", "SimpleRNN"])
    opts: dict[str, Any] = {"return_sequences": bool(rng.random() < 0.4),
                                "go_backwards": bool(rng.random() < 0.3),
                                "use_bias": bool(rng.random() < 0.8)}
    if kind == "GRU":
        opts["reset_after"] = bool(rng.random() < 0.6)
    if kind != "SimpleRNN" and rng.random() < 0.3:
        opts["recurrent_activation"] = "hard_sigmoid"
    layer = getattr(L, kind)(_k(rng, 2, 6), **opts)
    return _seq(keras, (_k(rng, 2, 7), _k(rng, 1, 4)), [layer])


CASES: dict[str, Case] = {k[2:]: v for k, v in globals().items() if k.startswith("c_")}


def _check_against_keras(keras: Any, model: Any, x: np.ndarray, via_file: Path | None) -> Any:
    ref = keras.ops.convert_to_numpy(model(x))
    src = model
    if via_file is not None:
        model.save(via_file)
        src = via_file
    conv = eq.TFLiteConverter.from_keras_model(src)
    m = conv._model
    batched = m.main.inputs[0].shape_signature is not None
    if batched:
        ours = eq.run(m, [x])[0]
    else:
        ours = np.concatenate([eq.run(m, [x[i:i + 1]])[0] for i in range(len(x))])
    scale = max(1.0, float(np.abs(ref).max()))
    np.testing.assert_allclose(ours, ref, rtol=0, atol=2e-5 * scale)
    return conv


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_matches_keras(keras: Any, case: str, seed: int, tmp_path: Path) -> None:
    rng = np.random.default_rng(seed * 1000 + sum(map(ord, case)))
    made = CASES[case](keras, rng)
    vocab = None
    if isinstance(made, tuple):
        made, vocab = made
    model = made
    _randomize(model, rng)
    feeds = []
    for inp in model.inputs:
        shape = (3, *inp.shape[1:])
        if vocab is not None:
            feeds.append(rng.integers(0, vocab, shape).astype(np.int32))
        else:
            feeds.append(rng.normal(0, 1, shape).astype(np.float32))
    if len(feeds) > 1:
        ref = [keras.ops.convert_to_numpy(t) for t in model(feeds)]
        m = eq.TFLiteConverter.from_keras_model(model)._model
        for a, b in zip(eq.run(m, feeds), ref):
            np.testing.assert_allclose(a, b, rtol=0, atol=2e-5 * max(1.0, np.abs(b).max()))
        return
    conv = _check_against_keras(keras, model, feeds[0],
                                tmp_path / "m.keras" if seed == 0 else None)
    if seed == 0 and HAVE_LITERT:
        # LiteRT runs the same file, on a batch of 3 where the batch is dynamic.
        content = conv.convert()
        ref = keras.ops.convert_to_numpy(model(feeds[0]))
        got = _litert(content, feeds[0])
        np.testing.assert_allclose(got.reshape(ref.shape), ref, rtol=0,
                                   atol=2e-5 * max(1.0, np.abs(ref).max()))


def test_unsupported_live_layer(keras: Any) -> None:
    L = keras.layers
    model = keras.Sequential([keras.Input((4,)), L.Dense(3), L.Lambda(lambda t: t * 2,
                                                                      name="double")])
    with pytest.raises(eq.UnsupportedOpError, match=r"'double' \(Lambda\)"):
        eq.TFLiteConverter.from_keras_model(model)


def test_live_mobilenet_v2_matches_keras(keras: Any) -> None:
    """keras.applications in memory (no file): ZeroPadding2D folded, BN folded, ReLU6 fused."""
    model = keras.applications.MobileNetV2(input_shape=(64, 64, 3), alpha=0.35, weights=None,
                                           classes=5, classifier_activation="softmax")
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (2, 64, 64, 3)).astype(np.float32)
    conv = _check_against_keras(keras, model, x, None)
    ops = Counter(op.type for op in conv._model.main.operators)
    assert set(ops) == {"CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "MEAN", "FULLY_CONNECTED",
                        "SOFTMAX"}, ops


@needs_litert
def test_lowered_layers_quantize(keras: Any) -> None:
    """A model mixing many lowered layers converts in the full-integer modes and runs in
    LiteRT close to the float model."""
    L = keras.layers
    inp = keras.Input((12, 3))
    x = L.Conv1D(8, 3, padding="causal", activation="relu")(inp)
    x = L.LayerNormalization()(x)
    x = L.GRU(8, return_sequences=True)(x)
    x = L.LSTM(6)(x)
    x = L.Dense(8, activation="hard_swish")(x)
    x = L.Reshape((2, 4))(x)
    x = L.UpSampling1D(2)(x)
    x = L.Flatten()(x)
    out = L.Dense(4, activation="softmax")(x)
    model = keras.Model(inp, out)
    rng = np.random.default_rng(3)
    _randomize(model, rng)
    calib = rng.normal(0, 1, (40, 1, 12, 3)).astype(np.float32)
    xs = rng.normal(0, 1, (8, 12, 3)).astype(np.float32)
    ref = _litert(eq.TFLiteConverter.from_keras_model(model).convert(), xs)
    np.testing.assert_allclose(ref, keras.ops.convert_to_numpy(model(xs)), atol=1e-5)
    for mode in ("int8", "16x8", "dynamic"):
        conv = eq.TFLiteConverter.from_keras_model(model)
        _configure(conv, mode, calib)
        if mode == "16x8":  # HARD_SWISH has no 16x8 kernel in LiteRT: let it stay float
            conv.target_spec.supported_ops.add(eq.OpsSet.TFLITE_BUILTINS)
        y = _litert(conv.convert(), xs)
        assert _cos(y, ref) > (0.98 if mode != "16x8" else 0.999), mode


@needs_h5py
def test_reader_without_keras_matches_live_model(keras: Any) -> None:
    """The .keras reader (json + h5py) and a live model give identical TFLite files."""
    path = _keras_path("digits_mobilenetish")
    live = keras.saving.load_model(path)
    a = eq.TFLiteConverter.from_keras_model(path).convert()
    b = eq.TFLiteConverter.from_keras_model(live).convert()
    ma, mb = load(a), load(b)
    assert [op.type for op in ma.main.operators] == [op.type for op in mb.main.operators]
    for oa, ob in zip(ma.main.operators, mb.main.operators):
        for ta, tb in zip(oa.inputs, ob.inputs):
            if ta is not None and ta.data is not None:
                np.testing.assert_array_equal(ta.data, tb.data)


def test_keras_zip_reader_handles_missing_weights(tmp_path: Path) -> None:
    """A config whose layers need no weights converts from a zip without model.weights.h5."""
    cfg = _sequential({"class_name": "ReLU", "config": {"name": "r", "max_value": 6.0}},
                      {"class_name": "Reshape", "config": {"name": "rs",
                                                           "target_shape": [2, 2]}})
    m = eq.TFLiteConverter.from_keras_model(_keras_zip(tmp_path, cfg))._model
    assert [op.type for op in m.main.operators] == ["RELU6", "RESHAPE"]
    x = np.linspace(-2, 8, 8, dtype=np.float32).reshape(2, 4)
    np.testing.assert_array_equal(eq.run(m, [x])[0], np.clip(x, 0, 6).reshape(2, 2, 2))
