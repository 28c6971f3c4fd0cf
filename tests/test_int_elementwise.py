"""Integer elementwise kernels beyond the op files' EXAMPLES.

* Reference profile, exhaustively: every pair of int8 codes (a 256 x 256 grid) for the binary
  ops and every int8 / int16 code for the unary ops, under random scales, bit for bit against
  LiteRT's reference kernels (BUILTIN_REF).
* The cases LiteRT refuses (or aborts on, or computes undefined results for): we raise.
* Batch-size agnostic kernels: a model declared for batch 1 runs batch 5.
* XNNPACK: LiteRT's default resolver (AUTO) hands int8 ADD, SUB and MUL to XNNPACK, which
  requantizes differently from the reference kernels. Measured on ai-edge-litert 2.3.0, x86-64,
  over exhaustive int8 grids with random scales (``test_reference_vs_auto_rates`` prints them):
  ADD and SUB differ from the reference in about 1 output in 100,000 and MUL in about 0.6%,
  always by 1 LSB. XNNPACK's ADD/SUB is integer arithmetic (21-bit multipliers on a shared
  shift, rounding ties up; xnn_init_qs8_add_minmax_scalar_params) and its MUL is fp32
  requantization with round-to-nearest-even; the 'xnnpack' profile implements both and matches
  AUTO exactly on every case here (its fused-activation bounds use XNNPACK's ties-to-even
  quantization too). The other ops here are not delegated for int8 (XNNPACK takes DIV,
  SQUARED_DIFFERENCE, MAXIMUM/MINIMUM only in float), so AUTO equals the reference: checked.
"""

from __future__ import annotations

import platform

import numpy as np
import pytest
from ophelpers import build, compare, invoke_litert, run_litert

from edgequant import ops
from edgequant.interpreter import KernelError, Runner
from edgequant.ops._base import Example
from edgequant.tflite_io import to_bytes

pytest.importorskip("ai_edge_litert")

_CODES = np.arange(256, dtype=np.uint8).view(np.int8)
GRID_A = np.repeat(_CODES, 256).reshape(256, 256)
GRID_B = np.tile(_CODES, 256).reshape(256, 256)
ACTS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")
COMPARISONS = ("EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL")
X86 = platform.machine().lower() in ("x86_64", "amd64")


def _mod(name: str):
    return ops.registry()[name]


def _grid_example(op: str, rng: np.random.Generator, lo: float = 1e-3, hi: float = 0.5,
                  b_rows: int = 256) -> Example:
    s = np.exp(rng.uniform(np.log(lo), np.log(hi), 3))
    z = rng.integers(-128, 128, 3)
    b = GRID_B[:b_rows].copy()
    if op == "DIV":
        b[b == z[1]] = z[1] + 1 if z[1] < 127 else z[1] - 1
    quant = {"in0": (float(s[0]), int(z[0])), "in1": (float(s[1]), int(z[1]))}
    bool_out = op in COMPARISONS
    if not bool_out:
        quant["out0"] = (float(s[2]), int(z[2]))
    opts = {}
    if op in ("ADD", "SUB", "MUL", "DIV"):
        opts["fused_activation_function"] = str(rng.choice(ACTS))
    return Example([GRID_A, b], opts, f"{op} grid", quant=quant,
                   output_dtypes=["bool"] if bool_out else None)


# -- reference profile: exhaustive ------------------------------------------------------------

@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL", "DIV", "SQUARED_DIFFERENCE", *COMPARISONS])
@pytest.mark.parametrize("seed", range(3))
def test_int8_binary_every_code_pair(op: str, seed: int) -> None:
    rng = np.random.default_rng(1000 * seed + len(op))
    compare(_mod(op), _grid_example(op, rng, 1e-4, 0.9))
    # Broadcasting: one row of input 2 against the whole grid.
    compare(_mod(op), _grid_example(op, rng, b_rows=1))


def test_div_int8_shift_of_32_and_more() -> None:
    # Small quotients with a small multiplier need right shifts of 32+: undefined C++ whose
    # x86 result (shift count modulo 32, all-ones mask) we reproduce.
    ex = Example([GRID_A, np.where(GRID_B == 0, 1, GRID_B).astype(np.int8)],
                 {"fused_activation_function": "NONE"}, "DIV shift >= 32",
                 quant={"in0": (0.001, 0), "in1": (0.1, 0), "out0": (0.05, 0)})
    compare(_mod("DIV"), ex)


@pytest.mark.parametrize("op", ["ABS", "SQRT", "RSQRT", "EXP", "LOG"])
@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_unary_every_code(op: str, dtype: str) -> None:
    rng = np.random.default_rng(len(op) + (7 if dtype == "int16" else 0))
    info = np.iinfo(dtype)
    k = 0.01 if dtype == "int16" else 1.0
    for _ in range(4):
        si, so = np.exp(rng.uniform(np.log(0.002 * k), np.log(k), 2))
        zi, zo = (0, 0) if dtype == "int16" else rng.integers(-128, 128, 2)
        x = np.arange(info.min, info.max + 1)
        if op in ("SQRT", "RSQRT"):
            x = x[x >= zi]
        ex = Example([x.astype(dtype)], {}, f"{op} {dtype} every code",
                     quant={"in0": (float(si), int(zi)), "out0": (float(so), int(zo))})
        compare(_mod(op), ex)


@pytest.mark.parametrize("op", ["ADD", "SUB"])
@pytest.mark.parametrize("shift", [3, 15, 16, 20])
def test_int16_power_of_two_path(op: str, shift: int) -> None:
    # One input finer than the output by 2^shift; from 16 on gemmlowp's int16 mask wraps.
    rng = np.random.default_rng(shift)
    a = rng.integers(-32768, 32768, (40, 50)).astype(np.int16)
    b = rng.integers(-32768, 32768, (40, 50)).astype(np.int16)
    a[0, :5] = b[0, :5] = [0, 1, -1, 32767, -32768]
    fine, out = 2.0 ** (-10 - shift), 2.0**-10
    for q1, q2 in (((fine, 0), (out, 0)), ((out, 0), (fine, 0))):
        ex = Example([a, b], {"pot_scale_int16": True}, "pot", quant={
            "in0": q1, "in1": q2, "out0": (out, 0)})
        compare(_mod(op), ex)


def test_sub_int16_power_of_two_broadcasts() -> None:
    rng = np.random.default_rng(5)
    ex = Example([rng.integers(-32768, 32768, (3, 1, 8)).astype(np.int16),
                  rng.integers(-32768, 32768, (4, 1)).astype(np.int16)],
                 {"pot_scale_int16": True, "fused_activation_function": "RELU"}, "pot bcast",
                 quant={"in0": (2**-10, 0), "in1": (2**-13, 0), "out0": (2**-10, 0)})
    compare(_mod("SUB"), ex)


def test_comparisons_int16_quantized() -> None:
    # EQUAL / NOT_EQUAL rescale int16; LESS & co. compare the raw codes, as LiteRT does.
    rng = np.random.default_rng(9)
    a = rng.integers(-300, 300, (30, 40)).astype(np.int16)
    b = rng.integers(-300, 300, (40,)).astype(np.int16)
    for op in COMPARISONS:
        ex = Example([a, b], {}, f"{op} int16", quant={"in0": (3e-4, 0), "in1": (2e-4, 0)},
                     output_dtypes=["bool"])
        compare(_mod(op), ex)


def test_batch_size_agnostic() -> None:
    rng = np.random.default_rng(11)
    for op in ("ADD", "MUL", "LESS", "EXP"):
        unary = op == "EXP"
        ins = [rng.integers(-128, 128, (1, 4, 6)).astype(np.int8)]
        if not unary:
            ins.append(rng.integers(-128, 128, (6,)).astype(np.int8))
        quant = {"in0": (0.05, 3), "in1": (0.02, -5), "out0": (0.07, 2)}
        if op == "LESS":
            del quant["out0"]
        if unary:
            del quant["in1"]
        ex = Example(ins, {}, "batch", quant=quant,
                     output_dtypes=["bool"] if op == "LESS" else None)
        model, _ = build(_mod(op), ex)
        feeds = [rng.integers(-128, 128, (5, 4, 6)).astype(np.int8)] + ins[1:]
        ours = Runner(model).run_subgraph(model.main, feeds)[0]
        theirs = run_litert(to_bytes(model), feeds)[0]
        assert ours.shape == (5, 4, 6)
        np.testing.assert_array_equal(ours, theirs)


# -- what LiteRT refuses, aborts on, or leaves undefined ---------------------------------------

def _raises(op: str, ex: Example, match: str, exc: type = ValueError) -> None:
    with pytest.raises((exc, KernelError), match=match):
        build(_mod(op), ex)


def _i8(*shape: int) -> np.ndarray:
    return np.random.default_rng(0).integers(-128, 128, shape).astype(np.int8)


def _i16(*shape: int) -> np.ndarray:
    return np.random.default_rng(0).integers(-3000, 3000, shape).astype(np.int16)


def test_refused_add_int16_power_of_two_broadcast() -> None:
    # LiteRT's power-of-two int16 ADD has no broadcasting: MatchingElementsSize aborts.
    ex = Example([_i16(2, 3), _i16(3)], {"pot_scale_int16": True}, "abort",
                 quant={"in0": (2**-10, 0), "in1": (2**-12, 0), "out0": (2**-10, 0)})
    _raises("ADD", ex, "cannot broadcast")
    # Same sizes (only leading 1s differ) is fine, and so is the general path.
    ex.inputs[1] = _i16(1, 2, 3)
    compare(_mod("ADD"), ex)
    ex.inputs[1] = _i16(3)
    ex.options["pot_scale_int16"] = False
    compare(_mod("ADD"), ex)


def test_refused_output_multiplier_too_large() -> None:
    q = {"in0": (1.0, 0), "in1": (1.0, 0), "out0": (1e-8, 0)}
    _raises("ADD", Example([_i8(4), _i8(4)], {}, "abort", quant=q), "LiteRT")
    _raises("SUB", Example([_i8(4), _i8(4)], {}, "garbage", quant=q), "undefined")


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_refused_comparison_scale_of_one_or_more(scale: float) -> None:
    ex = Example([_i8(4), _i8(4)], {}, "cmp", quant={"in0": (scale, 0), "in1": (0.5, 0)},
                 output_dtypes=["bool"])
    _raises("LESS", ex, ">= 1")


def test_refused_at_invoke_like_litert() -> None:
    b = _i8(8)
    b[3] = 4
    div = Example([_i8(8), b], {}, "div0", quant={"in0": (0.1, 0), "in1": (0.1, 4),
                                                  "out0": (0.1, 0)})
    _raises("DIV", div, "zero point", ZeroDivisionError)
    sqrt = Example([np.array([5, 6, 2], np.int8)], {}, "neg", quant={
        "in0": (0.1, 3), "out0": (0.1, 0)})
    _raises("SQRT", sqrt, "negative")
    _raises("RSQRT", sqrt, "below its zero point")
    with pytest.raises(RuntimeError):  # and LiteRT fails the same way
        invoke_litert(to_bytes(_build_unchecked("DIV", div)), div.inputs)
    with pytest.raises(RuntimeError):
        invoke_litert(to_bytes(_build_unchecked("SQRT", sqrt)), sqrt.inputs)


def _build_unchecked(op: str, ex: Example):
    """A model for ``ex`` without running our kernel (which refuses it)."""
    from ophelpers import qparams

    from edgequant import dtypes, schema
    from edgequant.ir import Model, Operator, Subgraph, Tensor

    sg = Subgraph(name="main")
    ins = []
    for i, x in enumerate(ex.inputs):
        t = Tensor(name=f"in{i}", shape=x.shape, dtype=dtypes.from_numpy(x.dtype))
        sg.inputs.append(t)
        sg.tensors.append(t)
        ins.append(t)
    shape = np.broadcast_shapes(*(x.shape for x in ex.inputs))
    out = Tensor(name="out0", shape=shape, dtype=ins[0].dtype)
    sg.tensors.append(out)
    sg.outputs = [out]
    for key, spec in ex.quant.items():
        (ins[int(key[2:])] if key.startswith("in") else out).quantization = qparams(spec)
    mod = _mod(op)
    options = schema.default_options(mod.OPTIONS) if mod.OPTIONS else {}
    opx = Operator(type=op, inputs=ins, outputs=[out], options=options,
                   options_type=mod.OPTIONS)
    opx.version = mod.version(opx)
    sg.operators.append(opx)
    return Model(subgraphs=[sg], description="refused")


def test_refused_int16_zero_points() -> None:
    q = {"in0": (1e-3, 2), "in1": (1e-3, 0), "out0": (1e-3, 0)}
    for op in ("ADD", "SUB", "MUL"):
        _raises(op, Example([_i16(4), _i16(4)], {}, "zp", quant=q), "zero point 0")
    _raises("EXP", Example([_i16(4)], {}, "zp", quant={"in0": (1e-3, 1), "out0": (1e-3, 0)}),
            "zero point 0")


def test_refused_types() -> None:
    q = {"in0": (1e-3, 0), "in1": (1e-3, 0), "out0": (1e-3, 0)}
    with pytest.raises((TypeError, KernelError), match="int8"):
        build(_mod("SQUARED_DIFFERENCE"), Example([_i16(4), _i16(4)], {}, "i16", quant=q))


# -- XNNPACK (AUTO) ------------------------------------------------------------------------------

def _auto(model, feeds) -> np.ndarray:
    it = invoke_litert(to_bytes(model), feeds, "AUTO")
    return it.get_tensor(it.get_output_details()[0]["index"])


@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL"])
@pytest.mark.parametrize("seed", range(4))
def test_xnnpack_profile_int8(op: str, seed: int) -> None:
    rng = np.random.default_rng(77 + seed)
    ex = _grid_example(op, rng, b_rows=256 if seed % 2 else 1)
    model, feeds = build(_mod(op), ex)
    ours = Runner(model, profile="xnnpack").run_subgraph(model.main, feeds)[0]
    auto = _auto(model, feeds)
    diff = np.abs(ours.astype(np.int32) - auto.astype(np.int32))
    assert diff.max() <= 1
    if X86:  # XNNPACK's x86 kernels; Arm builds use other requantization for MUL
        np.testing.assert_array_equal(ours, auto)


@pytest.mark.parametrize("act,zo", [("RELU6", 0), ("RELU6", 3), ("RELU_N1_TO_1", 3),
                                    ("RELU_N1_TO_1", 4), ("RELU", -7)])
def test_xnnpack_activation_ties(act: str, zo: int) -> None:
    # 6 / 12 and 1 / 2 are exact halves: the reference rounds the bound away from zero,
    # XNNPACK to even.
    so = 12.0 if act == "RELU6" else 2.0
    for op in ("ADD", "MUL"):
        ex = Example([GRID_A, GRID_B], {"fused_activation_function": act}, "ties", quant={
            "in0": (0.25 if op == "MUL" else 0.05, 1), "in1": (0.5 if op == "MUL" else 0.04, -2),
            "out0": (so, zo)})
        model, feeds = build(_mod(op), ex)
        ours = Runner(model, profile="xnnpack").run_subgraph(model.main, feeds)[0]
        if X86:
            np.testing.assert_array_equal(ours, _auto(model, feeds))


def test_xnnpack_profile_falls_back_like_the_delegate() -> None:
    # Scale ratios outside XNNPACK's range (ADD: [2^-10, 256)) and ranks above 6 are left to
    # the builtin kernel, whose arithmetic is the reference one.
    rng = np.random.default_rng(3)
    cases = [
        ("ADD", Example([GRID_A, GRID_B], {}, "ratio", quant={
            "in0": (1e-4, 0), "in1": (0.3, 5), "out0": (0.5, -3)})),
        ("MUL", Example([rng.integers(-128, 128, (2, 1, 3, 1, 2, 1, 4)).astype(np.int8),
                         rng.integers(-128, 128, (2, 1, 4)).astype(np.int8)], {}, "7-D",
                        quant={"in0": (0.05, 1), "in1": (0.05, 2), "out0": (0.01, 3)})),
    ]
    for op, ex in cases:
        model, feeds = build(_mod(op), ex)
        ours = Runner(model, profile="xnnpack").run_subgraph(model.main, feeds)[0]
        ref = Runner(model).run_subgraph(model.main, feeds)[0]
        np.testing.assert_array_equal(ours, ref)
        np.testing.assert_array_equal(ours, _auto(model, feeds))


NOT_DELEGATED = ["DIV", "SQUARED_DIFFERENCE", "MAXIMUM", "MINIMUM", *COMPARISONS, "SELECT",
                 "SELECT_V2", "NEG", "ABS", "SQRT", "RSQRT", "EXP", "LOG"]


@pytest.mark.parametrize("op", NOT_DELEGATED)
def test_not_delegated_ops_match_auto(op: str) -> None:
    mod = _mod(op)
    for i, ex in enumerate(mod.EXAMPLES):
        if not isinstance(ex, Example):
            ex = ex(np.random.default_rng(i))
        if not ex.quant:
            continue
        model, feeds = build(mod, ex)
        for profile in ("reference", "xnnpack"):
            ours = Runner(model, profile=profile).run_subgraph(model.main, feeds)[0]
            np.testing.assert_array_equal(ours, _auto(model, feeds), err_msg=ex.name)


def test_reference_vs_auto_rates(capsys: pytest.CaptureFixture) -> None:
    """How often LiteRT's reference and XNNPACK disagree (informational, bounded by 1 LSB)."""
    rng = np.random.default_rng(2024)
    lines = []
    for op in ("ADD", "SUB", "MUL"):
        n = total = worst = 0
        for _ in range(4):
            model, feeds = build(_mod(op), _grid_example(op, rng))
            ref = run_litert(to_bytes(model), feeds)[0].astype(np.int32)
            diff = np.abs(ref - _auto(model, feeds).astype(np.int32))
            n, total, worst = n + int((diff > 0).sum()), total + diff.size, max(worst,
                                                                               diff.max())
        assert worst <= 1
        lines.append(f"{op} int8: reference != XNNPACK in {n}/{total} outputs, max {worst}")
    with capsys.disabled():
        print("\n" + "\n".join(lines))


@pytest.mark.parametrize("shape", [(1, 5, 7), (3, 16), (2, 33, 3)])
def test_int16_add_optimized_profile_matches_default_litert(shape: tuple[int, ...]) -> None:
    """LiteRT's default path runs int16 ADD on its optimized kernel (NEON intrinsics emulated
    with SSE, 16 lanes, vqrdmulh rounding) with the reference formula for the tail: the
    optimized/xnnpack profiles follow it."""
    from edgequant.ops import add
    from edgequant.ops._base import Example
    from edgequant.interpreter import Runner
    from edgequant.tflite_io import to_bytes
    from ophelpers import build, invoke_litert

    rng = np.random.default_rng(len(shape))
    a = rng.integers(-32768, 32767, shape).astype(np.int16)
    b = rng.integers(-32768, 32767, shape).astype(np.int16)
    ex = Example([a, b], {"pot_scale_int16": False}, "int16 add",
                 quant={"in0": (3.1e-4, 0), "in1": (1.7e-4, 0), "out0": (4.3e-4, 0)})
    model, feeds = build(add, ex)
    for profile in ("optimized", "xnnpack"):
        ours = Runner(model, profile=profile).run_subgraph(model.main, feeds)[0]
        it = invoke_litert(to_bytes(model), feeds, "AUTO")
        np.testing.assert_array_equal(ours, it.get_tensor(it.get_output_details()[0]["index"]))
