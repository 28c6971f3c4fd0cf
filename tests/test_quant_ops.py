"""Extra checks for QUANTIZE and DEQUANTIZE beyond the op files' EXAMPLES.

* Bit-exact QUANTIZE / requantize / DEQUANTIZE cases beyond the op files' EXAMPLES (NaN, inf,
  int32 overflow, every requantize type pair, exact ties, int4).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from edgequant.interpreter import Runner
from edgequant.ops import dequantize, quantize, registry
from edgequant.ops._base import Const, Example
from edgequant.qmath import multiply_by_quantized_multiplier, quantize_multiplier
from edgequant.tflite_io import to_bytes

from ophelpers import build, compare, run_litert

pytest.importorskip("ai_edge_litert")


# -- extra QUANTIZE / DEQUANTIZE cases, checked bit for bit --------------------------------

def _q(x: np.ndarray, dtype: str, spec: Any, in_spec: Any = None) -> Example:
    quant = {"out0": spec}
    if in_spec is not None:
        quant["in0"] = in_spec
    return Example([x], {}, "extra", output_dtypes=[dtype], quant=quant)


@pytest.mark.parametrize("dtype,zp", [("int8", -128), ("int8", -1), ("int8", 127),
                                      ("uint8", 0), ("uint8", 255), ("int16", 0)])
def test_quantize_extremes(dtype: str, zp: int) -> None:
    x = np.array([np.nan, np.inf, -np.inf, 3e38, -3e38, 2.1e9, -2.2e9, 2.0**31, -(2.0**31),
                  0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 126.5, -128.5, 1e-40],
                 np.float32)
    compare(quantize, _q(x, dtype, (1.0, zp)))
    compare(quantize, _q(x, dtype, (0.37, zp)))


@pytest.mark.parametrize("src,dst", [("int8", "int8"), ("int8", "uint8"), ("int8", "int16"),
                                     ("uint8", "int8"), ("uint8", "uint8"),
                                     ("uint8", "int16"), ("int16", "int8"),
                                     ("int16", "int16"), ("int16", "int32")])
@pytest.mark.parametrize("ratio", [0.5, 0.375, 1.0, 3.7, 1 / 300.0, 219.3])
def test_requantize(src: str, dst: str, ratio: float) -> None:
    info = np.iinfo(src)
    x = np.arange(info.min, info.max + 1, max(1, (int(info.max) - int(info.min)) // 4000))
    x = x.astype(src)
    zin = 0 if src == "int16" else (3 if src == "int8" else 130)
    zout = 0 if dst in ("int16", "int32") else (-5 if dst == "int8" else 120)
    if src == "int16" and dst == "int16":
        zin = zout = 0
    s_in = np.float32(0.0137)
    s_out = np.float32(s_in / np.float32(ratio))
    compare(quantize, _q(x, dst, (s_out, zout), (s_in, zin)))


def test_quantize_per_axis_last_dim_and_int4() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 2, 5)).astype(np.float32)
    spec = (np.linspace(0.01, 0.05, 5), np.arange(-2, 3), 2)
    compare(quantize, _q(x, "int8", spec))
    compare(quantize, _q(x, "int16", (np.linspace(1e-4, 5e-4, 5), np.zeros(5), 2)))


def test_dequantize_int4_constant() -> None:
    rng = np.random.default_rng(4)
    w = rng.integers(-8, 8, (6, 5)).astype(np.int8)
    ex = Example([Const(w)], {}, "int4", output_dtypes=["float32"],
                 quant={"in0": (np.linspace(0.1, 0.6, 6), np.zeros(6), 0)})
    model, feeds = build(dequantize, ex)
    model.main.operators[0].inputs[0].dtype = "int4"
    model.main.operators[0].version = dequantize.version(model.main.operators[0])
    ours = Runner(model).run_subgraph(model.main, feeds)[0]
    theirs = run_litert(to_bytes(model), feeds)[0]
    np.testing.assert_array_equal(ours, theirs)


def test_fixed_point_helpers_match_known_values() -> None:
    assert quantize_multiplier(0.5) == (1 << 30, 0)
    assert quantize_multiplier(1.0) == (1 << 30, 1)
    assert quantize_multiplier(0.0) == (0, 0)
    m, s = quantize_multiplier(0.375)
    got = multiply_by_quantized_multiplier(np.array([1, 2, 3, 4, -1, -2, -3, -4]), m, s)
    # Double rounding: 1 x 0.375 first becomes 0.75 -> 1 in the high multiply, then 1 / 2
    # rounds away from zero again, so 0.375 comes out as 1 (single rounding would give 0).
    np.testing.assert_array_equal(got, [1, 1, 1, 2, -1, -1, -1, -2])


# -- run_int of batch-D ops whose integer kernels ignore quantization ---------------------

def _int_cases():
    rng = np.random.default_rng(7)
    q8, q16 = (0.05, -3), (0.002, 0)
    x8 = rng.integers(-128, 128, (2, 5, 4, 3)).astype(np.int8)
    x16 = rng.integers(-30000, 30000, (1, 4, 6, 2)).astype(np.int16)
    size = Const(np.array([7, 5], np.int32))
    axis = Const(np.array([1, 2], np.int32))
    yield "RESIZE_BILINEAR", Example([x8, size], {"half_pixel_centers": True},
                                     quant={"in0": q8, "out0": q8})
    yield "RESIZE_BILINEAR", Example([x16, size], {"align_corners": True},
                                     quant={"in0": q16, "out0": q16})
    yield "RESIZE_NEAREST_NEIGHBOR", Example([x8, size], {"half_pixel_centers": True},
                                             quant={"in0": q8, "out0": q8})
    yield "REDUCE_MAX", Example([x8, axis], {"keep_dims": True}, quant={"in0": q8, "out0": q8})
    yield "REDUCE_MIN", Example([x16, axis], {}, quant={"in0": q16, "out0": q16})
    yield "ARG_MAX", Example([x8, Const(np.array([3], np.int32))], {"output_type": "int32"},
                             output_dtypes=["int32"], quant={"in0": q8})
    yield "ARG_MIN", Example([x8, Const(np.array([1], np.int32))], {"output_type": "int64"},
                             output_dtypes=["int64"], quant={"in0": q8})


@pytest.mark.parametrize("case", list(_int_cases()), ids=lambda c: c[0])
def test_integer_paths_on_quantized_tensors(case: tuple[str, Example]) -> None:
    name, ex = case
    mod = registry()[name]
    model, _ = build(mod, ex)
    op = model.main.operators[0]
    assert Runner(model)._kernel(op)[0] is mod.run_int
    compare(mod, ex)


def test_if_passes_quantized_tensors_through() -> None:
    mod = registry()["IF"]
    ex = mod.EXAMPLES[3](np.random.default_rng(0))
    x = np.arange(-4, 4, dtype=np.int8).reshape(2, 4)
    branches = ex.subgraphs
    for sg in branches:
        for t in sg.all_tensors():
            if t.dtype == "float32":
                t.dtype = "int8"
                if t.data is not None:
                    t.data = t.data.astype(np.int8)
    for cond in (True, False):
        q = (0.1, 2)
        case = Example([np.array(cond), x], ex.options, "quantized IF",
                       output_dtypes=["int8", "int8"], num_outputs=2, subgraphs=branches,
                       quant={"in1": q, "out0": q, "out1": q})
        compare(mod, case)


def test_reduce_max_rejects_mismatched_quantization() -> None:
    from edgequant.interpreter import KernelError

    mod = registry()["REDUCE_MAX"]
    ex = Example([np.zeros((2, 3), np.int8), Const(np.array([1], np.int32))], {},
                 quant={"in0": (0.1, 0), "out0": (0.2, 0)})
    with pytest.raises((KernelError, ValueError)):
        build(mod, ex)


@pytest.mark.parametrize("dtype,bits,zp", [("uint4", 4, 3), ("int2", 2, 0)])
def test_dequantize_packed_sub_byte_constants(dtype: str, bits: int, zp: int) -> None:
    from edgequant.ir import Model, Operator, QuantParams, Subgraph, Tensor

    shape = (3, 8)
    raw = np.random.default_rng(bits).integers(0, 256, 24 * bits // 8).astype(np.uint8)
    w = Tensor("w", shape, dtype, data=raw,
               quantization=QuantParams(scale=np.array([0.25], np.float32),
                                        zero_point=np.array([zp], np.int64)))
    out = Tensor("out", shape, "float32")
    op = Operator("DEQUANTIZE", [w], [out])
    op.version = dequantize.version(op)
    sg = Subgraph("main", [w, out], [], [out], [op])
    model = Model(subgraphs=[sg])
    ours = Runner(model).run_subgraph(sg, [])[0]
    np.testing.assert_array_equal(ours, run_litert(to_bytes(model), [])[0])


@pytest.mark.parametrize("scale", [0.05, 0.37, 1 / 3])
def test_quantize_xnnpack_profile_matches_default_litert(scale: float) -> None:
    from edgequant.interpreter import Runner
    from ophelpers import invoke_litert

    rng = np.random.default_rng(5)
    ties = (rng.integers(-3000, 3000, (32, 64)) * np.float32(scale) / 2).astype(np.float32)
    x = np.concatenate([ties, rng.standard_normal((32, 64)).astype(np.float32) * 5])
    model, feeds = build(quantize, _q(x, "int8", (scale, 3)))
    ours = Runner(model, profile="xnnpack").run_subgraph(model.main, feeds)[0]
    it = invoke_litert(to_bytes(model), feeds, "AUTO")
    np.testing.assert_array_equal(ours, it.get_tensor(it.get_output_details()[0]["index"]))
