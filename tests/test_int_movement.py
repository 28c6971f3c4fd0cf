"""Integer kernels of the pooling, reduction and data-movement ops beyond the op files' EXAMPLES.

* The 'xnnpack' and 'optimized' profiles against LiteRT's default resolver (AUTO, with the
  XNNPACK delegate) and the optimized builtin resolver: every quantized example, bit for bit
  (the differing arithmetic of XNNPACK's int8 MEAN / SUM / RESIZE_BILINEAR and of the
  optimized MEAN / SUM kernels is reproduced, not merely bounded).
* int16 SUM, which BUILTIN_REF cannot run (it reads uninitialised memory), against the
  resolvers that can.
* The Prepare/Eval refusals LiteRT makes on quantization parameters, mirrored.
* Batch independence: a batch of samples gives the per-sample results.
* The QUANT declarations and versions.
"""

from __future__ import annotations

import zlib
from types import ModuleType

import numpy as np
import pytest
from ophelpers import build, invoke_litert, qparams

from edgequant import ops
from edgequant.errors import EdgeQuantError
from edgequant.interpreter import Runner
from edgequant.ops import _rules
from edgequant.ops._base import Const, Example
from edgequant.tflite_io import to_bytes

pytest.importorskip("ai_edge_litert")

OPS = ["AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "RESHAPE",
       "SQUEEZE", "EXPAND_DIMS", "TRANSPOSE", "CONCATENATION", "PACK", "UNPACK", "SPLIT",
       "SPLIT_V", "SLICE", "STRIDED_SLICE", "PAD", "PADV2", "MIRROR_PAD", "GATHER", "GATHER_ND",
       "EMBEDDING_LOOKUP", "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR", "SPACE_TO_DEPTH",
       "DEPTH_TO_SPACE", "TILE", "BROADCAST_TO", "ARG_MAX", "ARG_MIN", "CAST", "FILL", "SHAPE"]


def _mod(name: str) -> ModuleType:
    return ops.registry()[name]


def _example(name: str, index: int, seed: int) -> Example:
    ex = _mod(name).EXAMPLES[index]
    if isinstance(ex, Example):
        return ex
    return ex(np.random.default_rng(zlib.crc32(f"{name}/{index}/{seed}".encode())))


def _quantized_cases():
    for name in OPS:
        for i, ex in enumerate(_mod(name).EXAMPLES):
            probe = ex if isinstance(ex, Example) else ex(np.random.default_rng(0))
            if probe.quant:
                yield pytest.param(name, i, id=f"{name}-{i}")


def _litert(model, feeds: list[np.ndarray], resolver: str) -> list[np.ndarray]:
    it = invoke_litert(to_bytes(model), feeds, resolver)
    return [it.get_tensor(d["index"]) for d in it.get_output_details()]


def _assert_same(ours: list[np.ndarray], theirs: list[np.ndarray], what: str) -> None:
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        a = np.asarray(a)
        assert a.shape == b.shape and a.dtype == b.dtype, f"{what} output {k}"
        np.testing.assert_array_equal(a, b, err_msg=f"{what} output {k}")


# -- other profiles against other resolvers ---------------------------------------------------

@pytest.mark.parametrize("name,index", list(_quantized_cases()))
@pytest.mark.parametrize("seed", [0, 1])
def test_profiles_match_their_resolvers(name: str, index: int, seed: int) -> None:
    model, feeds = build(_mod(name), _example(name, index, seed))
    for profile, resolver in (("xnnpack", "AUTO"),
                              ("optimized", "BUILTIN_WITHOUT_DEFAULT_DELEGATES")):
        ours = Runner(model, profile=profile).run_subgraph(model.main, feeds)
        _assert_same(ours, _litert(model, feeds, resolver), f"{name} {profile}")


def _reducer(op: str, x: np.ndarray, axes: list[int], keep: bool, spec_in: tuple,
             spec_out: tuple, runtime_axis: bool = False) -> Example:
    ax = np.array(axes, np.int32)
    return Example([x, ax if runtime_axis else Const(ax)], {"keep_dims": keep}, op,
                   quant={"in0": spec_in, "out0": spec_out})


@pytest.mark.parametrize("shape,axes,keep", [((3, 5, 6, 4), [1, 2], True),
                                             ((2, 7, 3), [-1], False),
                                             ((4, 3, 5), [0, 2], True),
                                             ((3, 4), [0, 1], False)])
@pytest.mark.parametrize("ratio", [0.5, 4.0, 1.37, 0.0091])
def test_int16_sum_matches_default_resolver(shape, axes, keep, ratio) -> None:
    """BUILTIN_REF's int16 SUM is unusable; every profile follows the optimized kernel, which
    is what both non-reference resolvers run (XNNPACK takes no int16)."""
    rng = np.random.default_rng(len(shape) * 100 + int(ratio * 1000))
    x = rng.integers(-32768, 32768, shape).astype(np.int16)
    s_in = 0.001
    ex = _reducer("SUM", x, axes, keep, (s_in, 0), (s_in / ratio * 8, 0))
    model, feeds = build(_mod("SUM"), ex)
    for resolver in ("AUTO", "BUILTIN_WITHOUT_DEFAULT_DELEGATES"):
        theirs = _litert(model, feeds, resolver)
        for profile in ("reference", "optimized", "xnnpack"):
            ours = Runner(model, profile=profile).run_subgraph(model.main, feeds)
            _assert_same(ours, theirs, f"int16 SUM {profile} vs {resolver}")


@pytest.mark.parametrize("op", ["MEAN", "SUM"])
@pytest.mark.parametrize("runtime_axis", [False, True])
@pytest.mark.parametrize("scales", [((0.5, -3), (0.25, 7)), ((0.0173, 12), (0.0291, -40))])
def test_int8_mean_sum_all_resolvers(op: str, runtime_axis: bool, scales: tuple) -> None:
    """int8 MEAN / SUM take four different kernels across the resolvers (a run-time axis keeps
    XNNPACK away); the profiles follow each one. Dyadic scales make exact ties."""
    rng = np.random.default_rng(7)
    spec_in, spec_out = scales
    if op == "SUM":
        spec_out = (spec_out[0] * 16, spec_out[1])
    for shape, axes, keep in [((3, 6, 5, 20), [1, 2], True), ((3, 6, 5, 8), [2, 1], False),
                              ((2, 4, 9), [1], True), ((5, 2, 3), [0, -1], False)]:
        x = rng.integers(-128, 128, shape).astype(np.int8)
        model, feeds = build(_mod(op), _reducer(op, x, axes, keep, spec_in, spec_out,
                                                runtime_axis))
        for profile, resolver in (("reference", "BUILTIN_REF"), ("xnnpack", "AUTO"),
                                  ("optimized", "BUILTIN_WITHOUT_DEFAULT_DELEGATES")):
            ours = Runner(model, profile=profile).run_subgraph(model.main, feeds)
            _assert_same(ours, _litert(model, feeds, resolver),
                         f"{op} {shape} {axes} {profile}")


# -- refusals ---------------------------------------------------------------------------------

def _mismatch(name: str, ex: Example, key: str, spec: tuple) -> None:
    """Build ``ex`` (consistent), change the quantization of tensor ``key``, and check that both
    LiteRT BUILTIN_REF and our interpreter refuse the model."""
    model, feeds = build(_mod(name), ex)
    op = model.main.operators[0]
    t = op.inputs[int(key[2:])] if key.startswith("in") else op.outputs[int(key[3:])]
    t.quantization = qparams(spec)
    with pytest.raises(Exception):  # noqa: B017 - LiteRT raises RuntimeError or ValueError
        _litert(model, feeds, "BUILTIN_REF")
    with pytest.raises((EdgeQuantError, ValueError), match="quantiz|zero point"):
        Runner(model).run_subgraph(model.main, feeds)


def _i8(*shape: int) -> np.ndarray:
    return np.random.default_rng(sum(shape)).integers(-128, 128, shape).astype(np.int8)


def _i16(*shape: int) -> np.ndarray:
    return np.random.default_rng(sum(shape)).integers(-3000, 3000, shape).astype(np.int16)


S = (0.05, 3)
S16 = (0.001, 0)


@pytest.mark.parametrize("case", [
    ("CONCATENATION", Example([_i8(2, 3), _i8(2, 2)], {"axis": 1}, "",
                              quant={"in0": S, "in1": S, "out0": S}), "in1", (0.05, 4)),
    ("CONCATENATION", Example([_i8(2, 3), _i8(2, 2)], {"axis": 1}, "",
                              quant={"in0": S, "in1": S, "out0": S}), "out0", (0.06, 3)),
    ("CONCATENATION", Example([_i16(2, 3), _i16(2, 2)], {"axis": 1}, "",
                              quant={"in0": S16, "in1": S16, "out0": S16}), "in0", (0.001, 2)),
    ("PACK", Example([_i8(2, 3), _i8(2, 3)], {"values_count": 2, "axis": 0}, "",
                     quant={"in0": S, "in1": S, "out0": S}), "in1", (0.04, 3)),
    ("PACK", Example([_i16(2, 3), _i16(2, 3)], {"values_count": 2, "axis": 1}, "",
                     quant={"in0": S16, "in1": S16, "out0": S16}), "out0", (0.002, 0)),
    ("UNPACK", Example([_i8(2, 3)], {"num": 2, "axis": 0}, "", num_outputs=2,
                       quant={"in0": S, "out0": S, "out1": S}), "out1", (0.05, 2)),
    ("EXPAND_DIMS", Example([_i8(2, 3), Const(np.array([0], np.int32))], {}, "",
                            quant={"in0": S, "out0": S}), "out0", (0.07, 3)),
    ("EXPAND_DIMS", Example([_i16(2, 3), Const(np.array([0], np.int32))], {}, "",
                            quant={"in0": S16, "out0": S16}), "in0", (0.001, 5)),
    ("MIRROR_PAD", Example([_i8(3, 4), Const(np.array([[1, 1], [0, 2]], np.int32))],
                           {"mode": "SYMMETRIC"}, "", quant={"in0": S, "out0": S}),
     "out0", (0.05, -3)),
    ("PADV2", Example([_i8(3, 4), Const(np.array([[1, 1], [0, 2]], np.int32)),
                       Const(np.array(5, np.int8))], {}, "",
                      quant={"in0": S, "in2": S, "out0": S}), "in2", (0.1, 3)),
    ("FILL", Example([Const(np.array([2, 3], np.int32)), np.array(7, np.int8)], {}, "",
                     quant={"in1": S, "out0": S}), "out0", (0.05, 1)),
    ("REDUCE_MAX", Example([_i8(3, 4), Const(np.array([1], np.int32))], {"keep_dims": False},
                           "", quant={"in0": S, "out0": S}), "out0", (0.05, 0)),
    ("REDUCE_MIN", Example([_i16(3, 4), Const(np.array([1], np.int32))], {"keep_dims": False},
                           "", quant={"in0": S16, "out0": S16}), "out0", (0.002, 0)),
    ("MEAN", Example([_i16(3, 4), Const(np.array([1], np.int32))], {"keep_dims": False}, "",
                     quant={"in0": S16, "out0": S16}), "in0", (0.001, 1)),
    ("SUM", Example([_i16(3, 4), Const(np.array([1], np.int32))], {"keep_dims": False}, "",
                    quant={"in0": S16, "out0": S16}), "out0", (0.01, -1)),
], ids=lambda c: f"{c[0]}-{c[2]}")
def test_refuses_what_litert_refuses(case) -> None:
    name, ex, key, spec = case
    _mismatch(name, ex, key, spec)


def test_padv2_value_takes_no_rescale_but_pad_uses_output_zero_point() -> None:
    """PAD fills quantized int8 with the *output* zero point even when the input's differs
    (LiteRT does not check input against output), and we copy the codes unchanged."""
    x = _i8(2, 3)
    ex = Example([x, Const(np.array([[1, 0], [2, 1]], np.int32))], {}, "",
                 quant={"in0": (0.05, 9), "out0": (0.07, -20)})
    model, feeds = build(_mod("PAD"), ex)
    ours = Runner(model).run_subgraph(model.main, feeds)
    _assert_same(ours, _litert(model, feeds, "BUILTIN_REF"), "PAD")
    assert ours[0][0, 0] == -20 and (ours[0][1:3, 2:5] == x).all()


def test_arg_max_refuses_int16() -> None:
    ex = Example([_i16(3, 4), Const(np.array([1], np.int32))], {"output_type": "int32"}, "",
                 output_dtypes=["int32"], quant={"in0": S16})
    with pytest.raises(EdgeQuantError, match="int8 or uint8"):
        build(_mod("ARG_MAX"), ex)


def test_sum_int8_reference_reads_codes_as_uint8() -> None:
    """The BUILTIN_REF bug we reproduce: -1 reads as 255."""
    x = np.array([[-1, -2, 3, 100], [5, -128, 127, 0]], np.int8)
    ex = _reducer("SUM", x, [1], False, (0.5, -3), (1.0, 2))
    model, feeds = build(_mod("SUM"), ex)
    ref = Runner(model).run_subgraph(model.main, feeds)[0]
    opt = Runner(model, profile="optimized").run_subgraph(model.main, feeds)[0]
    np.testing.assert_array_equal(ref, [-1, -118])  # uint8 sums 624 -> 255, 272 -> 138
    np.testing.assert_array_equal(opt, [58, 10])  # (100 + 4 * 3) * 0.5 + 2, (4 + 12) * 0.5 + 2


# -- batches ----------------------------------------------------------------------------------

def _pool(k: int, s: int, padding: str = "SAME", act: str = "RELU6") -> dict:
    return {"filter_height": k, "filter_width": k, "stride_h": s, "stride_w": s,
            "padding": padding, "fused_activation_function": act}


_HW = Const(np.array([7, 5], np.int32))
BATCHED = [
    ("AVERAGE_POOL_2D", lambda x: [x], _pool(3, 2), (0,)),
    ("MAX_POOL_2D", lambda x: [x], _pool(2, 2, "VALID"), (0,)),
    ("MEAN", lambda x: [x, Const(np.array([1, 2], np.int32))], {"keep_dims": True}, (0,)),
    ("SUM", lambda x: [x, Const(np.array([2, 1], np.int32))], {"keep_dims": False}, (0,)),
    ("REDUCE_MAX", lambda x: [x, Const(np.array([-1], np.int32))], {"keep_dims": False},
     (0,)),
    ("RESIZE_BILINEAR", lambda x: [x, _HW], {"half_pixel_centers": True}, (0,)),
    ("RESIZE_NEAREST_NEIGHBOR", lambda x: [x, _HW], {"align_corners": True}, (0,)),
    ("PAD", lambda x: [x, Const(np.array([[0, 0], [1, 2], [0, 1], [2, 0]], np.int32))], {},
     (0,)),
    ("TRANSPOSE", lambda x: [x, Const(np.array([0, 3, 1, 2], np.int32))], {}, (0,)),
    ("CONCATENATION", lambda x: [x, x[..., :2].copy()], {"axis": -1}, (0, 1)),
    ("SPACE_TO_DEPTH", lambda x: [x[:, :4, :4].copy()], {"block_size": 2}, (0,)),
    ("GATHER", lambda x: [x, Const(np.array([3, 0, 3], np.int32))], {"axis": 2}, (0,)),
]


@pytest.mark.parametrize("name,inputs,options,quantized", BATCHED, ids=[b[0] for b in BATCHED])
def test_batch_gives_per_sample_results(name, inputs, options, quantized) -> None:
    """One model, run on a batch of 4 and on each sample alone: the kernels take any leading
    batch size, and samples do not mix."""
    rng = np.random.default_rng(11)
    x = rng.integers(-128, 128, (4, 6, 5, 3)).astype(np.int8)
    spec = (0.03, -9)
    quant = {f"in{i}": spec for i in quantized}
    quant["out0"] = spec
    model, _ = build(_mod(name), Example(inputs(x[:1].copy()), options, name, quant=quant))
    runner = Runner(model)

    def feeds(xs: np.ndarray) -> list[np.ndarray]:
        return [v for v in inputs(xs) if not isinstance(v, Const)]

    whole = runner.run_subgraph(model.main, feeds(x))[0]
    parts = [runner.run_subgraph(model.main, feeds(x[i:i + 1].copy()))[0] for i in range(4)]
    np.testing.assert_array_equal(whole, np.concatenate(parts))
    # and LiteRT agrees on the batch.
    model4, feeds4 = build(_mod(name), Example(inputs(x), options, name, quant=quant))
    _assert_same([whole], _litert(model4, feeds4, "BUILTIN_REF"), name)


# -- declarations ------------------------------------------------------------------------------

NO_INT16 = {"SPACE_TO_DEPTH", "DEPTH_TO_SPACE", "ARG_MAX", "ARG_MIN"}


@pytest.mark.parametrize("name", OPS)
def test_quant_declared(name: str) -> None:
    mod = _mod(name)
    q = getattr(mod, "QUANT", None)
    assert isinstance(q, _rules.Quant), f"{name} declares no QUANT"
    assert callable(getattr(mod, "run_int", None)), f"{name} has no run_int"
    assert all(r in _rules.ROLES for r in (*q.inputs, q.outputs))
    assert q.int8
    assert q.int16 == (name not in NO_INT16)


def _version(name: str, dtype: str, **options) -> int:
    from edgequant.ir import Operator, Tensor

    mod = _mod(name)
    data = Tensor("x", (1, 2, 2, 4), dtype)
    extra = {"SPLIT": [Tensor("axis", (), "int32"), data],
             "EMBEDDING_LOOKUP": [Tensor("ids", (2,), "int32"), data],
             "FILL": [Tensor("dims", (2,), "int32"), data]}.get(name)
    inputs = extra or [data, Tensor("aux", (2,), "int32")]
    op = Operator(type=name, inputs=inputs, outputs=[Tensor("y", (1,), dtype)],
                  options=dict(options))
    return mod.version(op)


@pytest.mark.parametrize("name,int8,int16", [
    ("AVERAGE_POOL_2D", 2, 3), ("MAX_POOL_2D", 2, 3), ("MEAN", 2, 3), ("SUM", 2, 1),
    ("REDUCE_MAX", 2, 3), ("REDUCE_MIN", 2, 3), ("RESHAPE", 1, 1), ("SQUEEZE", 1, 1),
    ("EXPAND_DIMS", 1, 1), ("TRANSPOSE", 2, 5), ("CONCATENATION", 2, 3), ("PACK", 2, 3),
    ("UNPACK", 2, 4), ("SPLIT", 2, 4), ("SPLIT_V", 2, 1), ("SLICE", 2, 4),
    ("STRIDED_SLICE", 2, 1), ("PAD", 2, 3), ("PADV2", 2, 3), ("MIRROR_PAD", 2, 3),
    ("GATHER", 2, 4), ("GATHER_ND", 1, 3), ("EMBEDDING_LOOKUP", 1, 1),
    ("RESIZE_BILINEAR", 2, 4), ("RESIZE_NEAREST_NEIGHBOR", 2, 4), ("SPACE_TO_DEPTH", 2, None),
    # op_version.cc gives DEPTH_TO_SPACE int8 2 and TILE int8 3, above BUILTIN_REF's maxima
    # (1 and 2): the versions are capped so the reference resolver loads them.
    ("DEPTH_TO_SPACE", 1, None), ("TILE", 2, 1), ("BROADCAST_TO", 3, 3), ("ARG_MAX", 2, None),
    ("ARG_MIN", 2, None), ("FILL", 3, 3), ("SHAPE", 1, 1)])
def test_versions(name: str, int8: int, int16: int | None) -> None:
    assert _version(name, "int8") == int8
    if int16 is not None:
        assert _version(name, "int16") == int16


def test_embedding_lookup_runtime_table_float_output_is_hybrid() -> None:
    """A run-time quantized table reaches ``run_int``; with a float output it is still LiteRT's
    hybrid lookup (value * scale)."""
    table = _i8(5, 3)
    ex = Example([np.array([4, 0, 2, 2], np.int32), table], {}, "", output_dtypes=["float32"],
                 quant={"in1": (0.25, 0)})
    model, feeds = build(_mod("EMBEDDING_LOOKUP"), ex)
    ours = Runner(model).run_subgraph(model.main, feeds)
    _assert_same(ours, _litert(model, feeds, "BUILTIN_REF"), "EMBEDDING_LOOKUP hybrid")
    np.testing.assert_array_equal(ours[0], table[[4, 0, 2, 2]] * np.float32(0.25))
