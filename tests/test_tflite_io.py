"""Reader/writer: LiteRT-identical round trips, determinism, what must survive, file layout."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import tflite

import edgequant as eq
from edgequant.ir import Model, Operator, QuantParams, SignatureDef, Subgraph, Tensor
from edgequant.tflite_io import OverwriteError

DATA = Path(__file__).parent / "data"
ALL_MODELS = sorted(p for p in DATA.rglob("*.tflite"))


def _test_inputs(path: Path, details: list[dict]) -> list[np.ndarray]:
    """A few samples for the model: its test set where we have one, else seeded noise."""
    stem = path.parent.name if path.parent.name != "tf_converted" else path.name.split("__")[0]
    npz = DATA / stem / "test.npz"
    d = details[0]
    if npz.exists():
        x = np.load(npz)["x"][:8]
    else:
        shape = [s if s > 0 else 1 for s in d["shape_signature"]]
        x = np.random.default_rng(0).uniform(0, 6, (8, *shape[1:])).astype(np.float32)
    if d["dtype"] != np.float32:  # integer-I/O model: quantize as the user would
        scale, zp = d["quantization"]
        info = np.iinfo(d["dtype"])
        x = np.clip(np.round(x / scale) + zp, info.min, info.max).astype(d["dtype"])
    return [x]


def _run_litert(content: bytes, x: np.ndarray) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    it = Interpreter(model_content=content,
                     experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    d = it.get_input_details()[0]
    outs = []
    for sample in x:
        it.set_tensor(d["index"], sample.reshape(d["shape"]))
        it.invoke()
        outs.append(np.concatenate([it.get_tensor(o["index"]).ravel()
                                    for o in it.get_output_details()]))
    return np.stack(outs)


@pytest.mark.parametrize("path", ALL_MODELS, ids=lambda p: p.name)
def test_round_trip_is_bitwise_identical_in_litert(path: Path) -> None:
    pytest.importorskip("ai_edge_litert")
    from ai_edge_litert.interpreter import Interpreter

    original = path.read_bytes()
    rewritten = eq.to_bytes(eq.load(path))
    details = Interpreter(model_content=original).get_input_details()
    (x,) = _test_inputs(path, details)
    a = _run_litert(original, x)
    b = _run_litert(rewritten, x)
    assert a.dtype == b.dtype
    assert np.array_equal(a, b)


@pytest.mark.parametrize("path", ALL_MODELS, ids=lambda p: p.name)
def test_writing_is_deterministic(path: Path) -> None:
    first = eq.to_bytes(eq.load(path))
    assert eq.to_bytes(eq.load(first)) == first
    assert eq.to_bytes(eq.load(path)) == first


@pytest.mark.parametrize("path", ALL_MODELS, ids=lambda p: p.name)
def test_structure_survives(path: Path) -> None:
    m = eq.load(path)
    r = eq.load(eq.to_bytes(m))
    assert [s.name for s in r.subgraphs] == [s.name for s in m.subgraphs]
    assert r.metadata == m.metadata
    assert r.description == m.description
    assert [(s.key, sorted(s.inputs), sorted(s.outputs), m.subgraph_index(s.subgraph))
            for s in m.signature_defs] == \
        [(s.key, sorted(s.inputs), sorted(s.outputs), r.subgraph_index(s.subgraph))
         for s in r.signature_defs]
    for sa, sb in zip(m.subgraphs, r.subgraphs):
        assert [(o.type, o.version, o.options) for o in sa.operators] == [
            (o.type, o.version, _resolve(o.options, r, m)) for o in sb.operators]
        for ta, tb in zip(sa.tensors, sb.tensors):
            assert (ta.name, ta.shape, ta.dtype, ta.shape_signature) == \
                (tb.name, tb.shape, tb.dtype, tb.shape_signature)
            assert (ta.data is None) == (tb.data is None)
            if ta.data is not None:
                assert np.array_equal(ta.data, tb.data)
            qa, qb = ta.quantization, tb.quantization
            assert (qa is None) == (qb is None)
            if qa is not None:
                assert np.array_equal(qa.scale, qb.scale)
                assert np.array_equal(qa.zero_point, qb.zero_point)
                assert qa.quantized_dimension == qb.quantized_dimension


def _resolve(opts: dict, new: Model, old: Model) -> dict:
    """Map Subgraph references in ``opts`` (from ``new``) to the same-index subgraph of ``old``."""
    return {k: old.subgraphs[new.subgraph_index(v)] if isinstance(v, Subgraph) else v
            for k, v in opts.items()}


def test_while_subgraphs_are_objects() -> None:
    m = eq.load(DATA / "digits_lstm" / "float.tflite")
    (loop,) = [op for op in m.main.operators if op.type == "WHILE"]
    assert loop.options["cond_subgraph_index"] is m.subgraphs[1]
    assert loop.options["body_subgraph_index"] is m.subgraphs[2]
    r = eq.load(eq.to_bytes(m))
    (loop2,) = [op for op in r.main.operators if op.type == "WHILE"]
    assert r.subgraph_index(loop2.options["body_subgraph_index"]) == 2


def test_min_runtime_version_and_support_metadata_survive() -> None:
    m = eq.load(DATA / "mnist_cnn" / "float.tflite")
    assert m.metadata["min_runtime_version"].rstrip(b"\0") == b"1.11.0"
    m.metadata["TFLITE_METADATA"] = b"\x1c\x00\x00\x00M001" + bytes(range(40))
    r = eq.load(eq.to_bytes(m))
    assert r.metadata == m.metadata


def _tiny_model() -> Model:
    """x -> ADD(x, c) -> y, with a constant c that is shared by a second, unused tensor."""
    sg = Subgraph(name="main")
    x = Tensor("x", (1, 4))
    c = Tensor("c", (1, 4), data=np.arange(4, dtype=np.float32).reshape(1, 4))
    c2 = Tensor("c2", (1, 4), data=c.data)
    y = Tensor("y", (1, 4))
    sg.tensors = [x, c, c2, y]
    sg.inputs, sg.outputs = [x], [y]
    sg.operators = [Operator("ADD", [x, c], [y], {"fused_activation_function": "NONE",
                                                  "pot_scale_int16": True}, "AddOptions")]
    m = Model(subgraphs=[sg], description="tiny")
    m.signature_defs = [SignatureDef("serving_default", sg, {"input": x}, {"output": y})]
    return m


def _raw_buffers(data: bytes) -> list:
    raw = tflite.Model.GetRootAs(data, 0)
    return [raw.Buffers(i) for i in range(raw.BuffersLength())]


def test_shared_buffers_are_written_once() -> None:
    data = eq.to_bytes(_tiny_model())
    raw = tflite.Model.GetRootAs(data, 0).Subgraphs(0)
    assert raw.Tensors(1).Buffer() == raw.Tensors(2).Buffer() != 0
    # ... and stay shared through a round trip.
    again = tflite.Model.GetRootAs(eq.to_bytes(eq.load(data)), 0).Subgraphs(0)
    assert again.Tensors(1).Buffer() == again.Tensors(2).Buffer()


def test_custom_and_unknown_ops_survive() -> None:
    m = _tiny_model()
    sg = m.main
    z = Tensor("z", (1, 4))
    w = Tensor("w", (1, 4))
    sg.tensors += [z, w]
    sg.operators.append(Operator("CUSTOM", [sg.outputs[0]], [z], custom_code="MyVendorOp",
                                 custom_options=b"\x01\x02flexbuffer", version=3))
    sg.operators.append(Operator("BUILTIN_400", [z], [w], builtin_code=400, version=2))
    sg.outputs = [w]
    r = eq.load(eq.to_bytes(m))
    custom, unknown = r.main.operators[1:]
    assert (custom.type, custom.custom_code, custom.custom_options, custom.version) == \
        ("CUSTOM", "MyVendorOp", b"\x01\x02flexbuffer", 3)
    assert (unknown.type, unknown.builtin_code, unknown.version) == ("BUILTIN_400", 400, 2)
    raw = tflite.Model.GetRootAs(eq.to_bytes(r), 0)
    codes = [raw.OperatorCodes(i) for i in range(raw.OperatorCodesLength())]
    big = [c for c in codes if c.BuiltinCode() == 400][0]
    assert big.DeprecatedBuiltinCode() == 127  # PLACEHOLDER_FOR_GREATER_OP_CODES


def test_constant_data_is_16_byte_aligned() -> None:
    data = eq.to_bytes(eq.load(DATA / "mobilenet_v2_096" / "float.tflite"))
    checked = 0
    for b in _raw_buffers(data):
        if b.DataLength():
            start = b._tab.Vector(b._tab.Offset(4))
            assert start % 16 == 0
            checked += 1
    assert checked > 50


def test_quantization_and_sparsity_fields_survive() -> None:
    m = _tiny_model()
    c = m.main.tensors[1]
    c.quantization = QuantParams(scale=np.array([0.5], np.float32),
                                 zero_point=np.array([3], np.int64),
                                 min=np.array([-1], np.float32), max=np.array([2], np.float32),
                                 custom=b"xyz")
    c.sparsity = {"traversal_order": [0, 1], "block_map": [],
                  "dim_metadata": [{"format": 0, "dense_size": 1, "array_segments": None,
                                    "array_indices": None},
                                   {"format": 1, "dense_size": 0,
                                    "array_segments": ("Int32Vector", [0, 4]),
                                    "array_indices": ("Uint8Vector", [0, 1, 2, 3])}]}
    m.main.tensors[0].is_variable = False
    r = eq.load(eq.to_bytes(m))
    q = r.main.tensors[1].quantization
    assert q.scale.tolist() == [0.5] and q.zero_point.tolist() == [3] and q.custom == b"xyz"
    assert q.min.tolist() == [-1] and q.max.tolist() == [2]
    assert r.main.tensors[1].sparsity == c.sparsity


@pytest.mark.parametrize("name", ["mnist_cnn", "digits_lstm"])
def test_external_buffer_layout(name: str, tmp_path: Path) -> None:
    """Models past the 2 GB limit put data after the flatbuffer; test with a low threshold."""
    pytest.importorskip("ai_edge_litert")
    path = DATA / name / "float.tflite"
    m = eq.load(path)
    data = eq.to_bytes(m, external_threshold=1024)
    external = [b for b in _raw_buffers(data) if b.Offset() > 1]
    assert external and all(b.DataLength() == 0 for b in external)
    assert all(b.Offset() % 16 == 0 and b.Offset() + b.Size() <= len(data) for b in external)
    # We read it back to the same model, deterministically...
    back = eq.load(data)
    assert eq.to_bytes(back) == eq.to_bytes(m)
    assert eq.to_bytes(back, external_threshold=1024) == data
    # ... and LiteRT runs it with identical results.
    x = np.load(DATA / name / "test.npz")["x"][:4]
    assert np.array_equal(_run_litert(data, x), _run_litert(path.read_bytes(), x))
    out = tmp_path / "ext.tflite"
    eq.save(m, out, external_threshold=1024)
    assert out.read_bytes() == data


def test_save_is_atomic_and_protects_the_source(tmp_path: Path) -> None:
    src = tmp_path / "model.tflite"
    src.write_bytes((DATA / "real" / "tflm_sine_float_fp32.tflite").read_bytes())
    before = src.read_bytes()
    m = eq.load(src)
    with pytest.raises(OverwriteError, match="refusing to overwrite"):
        eq.save(m, src)
    assert src.read_bytes() == before
    eq.save(m, src, overwrite_source=True)
    assert eq.load(src).main.operators[0].type == "FULLY_CONNECTED"
    # A model that cannot be written leaves an existing output untouched and no temp files.
    out = tmp_path / "out.tflite"
    out.write_bytes(b"previous")
    bad = eq.load(src)
    bad.main.operators[0].inputs[1].data = np.zeros(3, np.float64)
    with pytest.raises(ValueError, match="dtype"):
        eq.save(bad, out)
    assert out.read_bytes() == b"previous"
    assert sorted(os.listdir(tmp_path)) == ["model.tflite", "out.tflite"]


def test_data_views_are_read_only() -> None:
    m = eq.load(DATA / "real" / "tflm_sine_float_fp32.tflite")
    w = m.main.operators[0].inputs[1].data
    assert w is not None and not w.flags.writeable


def test_ir_helpers() -> None:
    m = _tiny_model()
    sg = m.main
    x, c, c2, y = sg.tensors
    add = sg.operators[0]
    assert sg.producer(y) is add and sg.consumers_of(x) == [add] and sg.producer(x) is None
    # Insert RELU after ADD and route the output through it.
    r = Tensor("r", (1, 4))
    relu = Operator("RELU", [y], [r])
    sg.insert_after(add, relu)
    assert sg.replace_uses(y, r, skip=relu) == 1
    assert sg.outputs == [r] and sg.operators == [add, relu] and r in sg.tensors
    # A dead branch: NEG of x that nobody reads.
    dead_out = Tensor("dead", (1, 4))
    sg.insert_before(add, Operator("NEG", [x], [dead_out]))
    assert sg.drop_dead() == (1, 2)  # the NEG op; tensors 'dead' and the unused 'c2'
    assert [o.type for o in sg.operators] == ["ADD", "RELU"]
    assert c2 not in sg.tensors and c in sg.tensors
    assert eq.load(eq.to_bytes(m)).main.outputs[0].name == "r"
