"""Full-integer conversion (int8 with float fallback, integer only, 16x8): calibration, the
planner's rules as they appear in written models, model I/O types, and clear errors."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

import edgequant as eq
from edgequant import ops
from edgequant.calibrate import calibrate
from edgequant.errors import CalibrationError, UnsupportedOpError
from edgequant.ir import Model, Tensor
from edgequant.ops._build import make_op, subgraph, tensor
from edgequant.ops._rules import BIAS, FIXED, SHARED, WEIGHT
from edgequant.tflite_io import load, to_bytes

from ophelpers import invoke_litert

litert = pytest.importorskip("ai_edge_litert.interpreter")


def _mlp(rng: np.random.Generator, *, middle: str | None = None) -> Model:
    """input [-1, 8] -> FC 16 relu -> (middle op) -> FC 4 -> SOFTMAX."""
    x = tensor("x", "float32", (1, 8))
    x.shape_signature = (-1, 8)
    w1 = tensor("w1", "float32", data=rng.standard_normal((16, 8)).astype(np.float32))
    b1 = tensor("b1", "float32", data=rng.standard_normal(16).astype(np.float32))
    h = tensor("h", "float32", (1, 16))
    ops_ = [make_op("FULLY_CONNECTED", [x, w1, b1], [h], fused_activation_function="RELU")]
    if middle:
        m = tensor("m", "float32", (1, 16))
        ops_.append(make_op(middle, [h], [m]))
        h = m
    w2 = tensor("w2", "float32", data=rng.standard_normal((4, 16)).astype(np.float32) * 0.3)
    b2 = tensor("b2", "float32", data=rng.standard_normal(4).astype(np.float32))
    logits = tensor("logits", "float32", (1, 4))
    prob = tensor("prob", "float32", (1, 4))
    ops_ += [make_op("FULLY_CONNECTED", [h, w2, b2], [logits]),
             make_op("SOFTMAX", [logits], [prob], beta=1.0)]
    return Model(subgraphs=[subgraph("main", [x], ops_, [prob])])


def _data(n: int = 40, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, 1, 8)).astype(np.float32)


def _convert(model: Model, mode: str = "int8", data: np.ndarray | None = None,
             **attrs: object) -> tuple[bytes, eq.TFLiteConverter]:
    conv = eq.TFLiteConverter.from_bytes(to_bytes(model))
    conv.optimizations = [eq.Optimize.DEFAULT]
    xs = _data() if data is None else data
    conv.representative_dataset = lambda: ([s] for s in xs)
    if mode == "int8-only":
        conv.target_spec.supported_ops = {eq.OpsSet.TFLITE_BUILTINS_INT8}
    elif mode == "16x8":
        conv.target_spec.supported_ops = {
            eq.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8}
    for k, v in attrs.items():
        setattr(conv, k, v)
    return conv.convert(), conv


# -- calibration ----------------------------------------------------------------------------

def test_minmax_is_global_and_ema_is_narrower() -> None:
    model = _mlp(np.random.default_rng(1))
    xs = _data(60)
    xs[7] *= 20  # one outlier sample
    mm = calibrate(model, lambda: ([s] for s in xs))
    ema = calibrate(model, lambda: ([s] for s in xs), statistic="ema")
    x = model.main.inputs[0]
    assert mm.range(x) == (float(xs.min()), float(xs.max()))
    lo, hi = ema.range(x)
    assert mm.range(x)[0] < lo < 0 < hi < mm.range(x)[1]


def test_batched_calibration_equals_one_at_a_time() -> None:
    model = _mlp(np.random.default_rng(2))
    xs = _data(50)
    a = calibrate(model, lambda: ([s] for s in xs), batch=16)
    b = calibrate(model, lambda: ([s] for s in xs), batch=1)
    for t in model.main.all_tensors():
        if t.data is not None:
            assert a.range(t) is None and b.range(t) is None
            continue
        assert a.range(t) == pytest.approx(b.range(t), rel=1e-6, abs=1e-6), t.name


def test_dataset_by_name_and_bare_array() -> None:
    model = _mlp(np.random.default_rng(3))
    xs = _data(5)
    by_name = calibrate(model, lambda: ({"x": s} for s in xs))
    bare = calibrate(model, lambda: iter(xs))
    assert by_name.range(model.main.inputs[0]) == bare.range(model.main.inputs[0])


@pytest.mark.parametrize("sample,match", [
    (lambda: [np.zeros((1, 9), np.float32)], r"input 'x': expected shape \[-1, 8\]"),
    (lambda: [np.zeros((1, 8), np.complex64)], r"input 'x': expected dtype float32"),
    (lambda: [np.zeros((1, 8), np.float32)] * 2, r"the model has 1 input"),
    (lambda: [np.full((1, 8), np.nan, np.float32)], r"input 'x': contains NaN"),
    (lambda: [np.full((1, 8), np.inf, np.float32)], r"input 'x': contains NaN or infinity"),
    (lambda: {"y": np.zeros((1, 8), np.float32)}, r"no value for model input 'x'"),
    (lambda: "text", r"expected a list"),
])
def test_bad_calibration_samples(sample, match: str) -> None:
    model = _mlp(np.random.default_rng(4))
    with pytest.raises(CalibrationError, match=match):
        calibrate(model, lambda: iter([sample()]))


def test_no_samples_and_raising_generator() -> None:
    model = _mlp(np.random.default_rng(5))
    with pytest.raises(CalibrationError, match="no samples"):
        calibrate(model, lambda: iter([]))

    def broken():
        yield [np.zeros((1, 8), np.float32)]
        raise RuntimeError("disk on fire")

    with pytest.raises(CalibrationError, match="raised at sample 1: RuntimeError: disk on fire"):
        calibrate(model, broken)


def test_bad_dataset_writes_nothing(tmp_path) -> None:
    from edgequant.cli import main

    src = tmp_path / "m.tflite"
    src.write_bytes(to_bytes(_mlp(np.random.default_rng(6))))
    bad = tmp_path / "calib.npz"
    np.savez(bad, x=np.zeros((4, 1, 3), np.float32))
    out = tmp_path / "out.tflite"
    rc = main(["convert", str(src), "-o", str(out), "--mode", "int8", "--calibration",
               str(bad)])
    assert rc == 1 and not out.exists()


# -- plan rules in written models --------------------------------------------------------------

def check_rules(model: Model, act: str = "int8") -> None:
    """Every shared-parameter and fixed-parameter rule holds in ``model``."""
    def qp(t: Tensor) -> tuple[float, int]:
        return float(t.quantization.scale[0]), int(t.quantization.zero_point[0])

    for sg, i, op in model.operators():
        rule = getattr(ops.get(op.type), "QUANT", None)
        quantized = [t for t in [*op.inputs, *op.outputs]
                     if t is not None and t.dtype in ("int8", "int16") and t.data is None]
        if rule is None or not quantized or op.type in ("QUANTIZE", "DEQUANTIZE"):
            continue
        where = f"{op.type} op {i}"
        shared = [t for k, t in enumerate(op.inputs)
                  if t is not None and rule.input_role(k) == SHARED and t.dtype == act]
        if rule.outputs == SHARED:
            shared += [t for t in op.outputs if t.dtype == act]
        assert len({qp(t) for t in shared}) <= 1, f"{where}: shared params differ"
        if rule.outputs == FIXED:
            s, z = rule.fixed[act]
            for t in op.outputs:
                assert qp(t) == (float(np.float32(s)), z), f"{where}: fixed output params"
        for t in quantized:
            if t.dtype == "int16":
                assert qp(t)[1] == 0, f"{where}: int16 tensor {t.name} has zero point"
        weight = None
        for k, t in enumerate(op.inputs):
            if t is None or t.data is None:
                continue
            if rule.input_role(k) == WEIGHT and t.dtype == "int8":
                weight = t
                assert np.all(t.quantization.zero_point == 0), f"{where}: weight zero point"
                assert t.data.min() >= -127, f"{where}: weight not narrow range"
            if rule.input_role(k) == BIAS and t.dtype != "float32":
                assert t.dtype == ("int64" if act == "int16" else "int32") or act == "int16"
                s_in = op.inputs[0].quantization.scale[0]
                want = np.float32(np.float64(s_in) * weight.quantization.scale.astype(np.float64))
                np.testing.assert_allclose(t.quantization.scale, want, rtol=1e-6)
    for sg, i, op in model.operators():
        if op.type != "WHILE":
            continue
        body, cond = op.options["body_subgraph_index"], op.options["cond_subgraph_index"]
        for k, t in enumerate(op.inputs):
            if t.dtype in ("int8", "int16"):
                group = [t, op.outputs[k], body.inputs[k], body.outputs[k], cond.inputs[k]]
                assert len({(x.dtype, qp(x)) for x in group}) == 1, f"WHILE slot {k}"


def test_fallback_keeps_unsupported_op_float() -> None:
    data, conv = _convert(_mlp(np.random.default_rng(7), middle="FLOOR"))
    m = load(data)
    kinds = Counter(op.type for op in m.main.operators)
    assert kinds["FLOOR"] == 1 and kinds["QUANTIZE"] == 2 and kinds["DEQUANTIZE"] == 2
    floor = next(op for op in m.main.operators if op.type == "FLOOR")
    assert floor.inputs[0].dtype == "float32"
    assert m.main.inputs[0].dtype == "float32" and m.main.outputs[0].dtype == "float32"
    check_rules(m)
    invoke_litert(data, [_data(1)[0]])


def test_integer_only_lists_every_unsupported_op() -> None:
    model = _mlp(np.random.default_rng(8), middle="FLOOR")
    with pytest.raises(UnsupportedOpError) as err:
        _convert(model, "int8-only")
    msg = str(err.value)
    assert "FLOOR (subgraph 0, op 1)" in msg and "1 op(s)" in msg


@pytest.mark.parametrize("io", ["int8", "uint8"])
def test_integer_io_types(io: str) -> None:
    data, _ = _convert(_mlp(np.random.default_rng(9)), "int8-only",
                       inference_input_type=io, inference_output_type=io)
    m = load(data)
    x, y = m.main.inputs[0], m.main.outputs[0]
    assert (x.dtype, y.dtype) == (io, io)
    assert x.name == "x"
    if io == "uint8":
        first, last = m.main.operators[0], m.main.operators[-1]
        assert first.type == "QUANTIZE" and first.outputs[0].dtype == "int8"
        assert x.quantization.zero_point[0] == first.outputs[0].quantization.zero_point[0] + 128
        assert last.type == "QUANTIZE" and last.inputs[0].dtype == "int8"
        assert y.quantization.zero_point[0] == last.inputs[0].quantization.zero_point[0] + 128
    else:
        assert "QUANTIZE" not in {op.type for op in m.main.operators}
    # The softmax output's fixed parameters reach the model output.
    s, z = y.quantization.scale[0], y.quantization.zero_point[0]
    assert (s, z) == (np.float32(1 / 256), -128 + (128 if io == "uint8" else 0))
    it = invoke_litert(data, [np.zeros((1, 8), io)])
    assert it.get_output_details()[0]["dtype"] == np.dtype(io)


def test_16x8_bias_types_and_symmetric_activations() -> None:
    data, _ = _convert(_mlp(np.random.default_rng(10)), "16x8")
    m = load(data)
    fcs = [op for op in m.main.operators if op.type == "FULLY_CONNECTED"]
    assert all(op.inputs[0].dtype == "int16" and op.inputs[2].dtype == "int64" for op in fcs)
    check_rules(m, "int16")
    data32, _ = _convert(_mlp(np.random.default_rng(10)), "16x8",
                         _experimental_full_integer_quantization_bias_type=np.int32)
    fcs = [op for op in load(data32).main.operators if op.type == "FULLY_CONNECTED"]
    assert all(op.inputs[2].dtype == "int32" for op in fcs)


def test_int32_inputs_stay_int32_in_16x8() -> None:
    ids = tensor("ids", "int32", (1, 5))
    ids.shape_signature = (-1, 5)
    table = tensor("table", "float32",
                   data=np.random.default_rng(11).standard_normal((20, 6)).astype(np.float32))
    emb = tensor("emb", "float32", (1, 5, 6))
    out = tensor("out", "float32", (1, 5, 6))
    model = Model(subgraphs=[subgraph("main", [ids], [
        make_op("GATHER", [table, ids], [emb], axis=0),
        make_op("TANH", [emb], [out])], [out])])
    samples = [np.random.default_rng(k).integers(0, 20, (1, 5)).astype(np.int32)
               for k in range(10)]
    data, _ = _convert(model, "16x8", data=np.stack(samples))
    m = load(data)
    assert m.main.inputs[0].dtype == "int32"
    invoke_litert(data, [samples[0]])


def test_already_quantized_model_is_refused() -> None:
    data, _ = _convert(_mlp(np.random.default_rng(12)))
    with pytest.raises(eq.ConversionError, match="already quantized"):
        _convert(load(data))


@pytest.mark.parametrize("mode", ["int8", "16x8", "dynamic", "float16"])
def test_keep_float_by_type_and_name(mode: str) -> None:
    model = _mlp(np.random.default_rng(13))
    conv = eq.TFLiteConverter.from_bytes(to_bytes(model))
    conv.optimizations = [eq.Optimize.DEFAULT]
    conv.min_elements_for_weights = 1
    if mode in ("int8", "16x8"):
        conv.representative_dataset = lambda: ([s] for s in _data())
    if mode == "16x8":
        conv.target_spec.supported_ops = {
            eq.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8,
            eq.OpsSet.TFLITE_BUILTINS}
    if mode == "float16":
        conv.target_spec.supported_types = [np.float16]
    conv.denylisted_nodes = ["logits"]  # the second FULLY_CONNECTED
    conv.denylisted_ops = ["SOFTMAX"]
    m = load(conv.convert())
    fcs = [op for op in m.main.operators if op.type == "FULLY_CONNECTED"]
    soft = next(op for op in m.main.operators if op.type == "SOFTMAX")
    w0 = fcs[0].inputs[1]  # the first FC is quantized, each mode its way
    assert (w0.dtype, w0.data is None) == {"int8": ("int8", False), "16x8": ("int8", False),
                                           "dynamic": ("int8", False),
                                           "float16": ("float32", True)}[mode]
    assert fcs[1].inputs[0].dtype == "float32" and fcs[1].inputs[1].dtype == "float32"
    assert fcs[1].inputs[1].data is not None  # its weights stay a float constant
    assert soft.inputs[0].dtype == "float32"
    invoke_litert(to_bytes(m), [np.zeros((1, 8), np.float32)])


def test_keep_float_unknown_name_is_an_error() -> None:
    model = _mlp(np.random.default_rng(14))
    with pytest.raises(eq.ConversionError, match="not in the model"):
        _convert(model, denylisted_nodes=["nope"])
