"""Hybrid UNIDIRECTIONAL_SEQUENCE_LSTM (float activations, int8 weights) against LiteRT 2.3, and
dynamic-range conversion of LSTM models.

tests/test_ops.py already compares the op file's hybrid EXAMPLES with BUILTIN_REF bit for bit.
Here: a randomized sweep of shapes and options, LiteRT's default AUTO path (XNNPACK does not
take LSTM, so it must equal BUILTIN_REF), the emulated x86 / Eigen details (logistic split,
row-sum lane wrap), what LiteRT does with weights our kernel refuses, and
``quantize_dynamic_range`` on small float LSTM models built in code.
"""

from __future__ import annotations

import logging
from collections import Counter

import numpy as np
import pytest
from ophelpers import build, invoke_litert, run_litert

import edgequant as eq
from edgequant import ops
from edgequant.dynamic_range import WeightOptions, quantize_dynamic_range
from edgequant.interpreter import KernelError, Runner
from edgequant.ops import _hybrid_lstm as hl
from edgequant.ops import unidirectional_sequence_lstm as U
from edgequant.ops._base import Const, Example
from edgequant.tflite_io import to_bytes

pytest.importorskip("ai_edge_litert")

MOD = ops.get("UNIDIRECTIONAL_SEQUENCE_LSTM")
F32 = np.float32


def _ours(model, feeds):
    return Runner(model).run_subgraph(model.main, feeds)[0]


def _compare(ex: Example) -> tuple[np.ndarray, np.ndarray]:
    model, feeds = build(MOD, ex)
    ours = _ours(model, feeds)
    ref = run_litert(to_bytes(model), feeds)[0]
    np.testing.assert_array_equal(ours, ref, err_msg=ex.name)
    return ours, ref


def _random_config(seed: int) -> tuple[dict, bool]:
    r = np.random.default_rng(seed)
    acts = ["TANH", "RELU", "NONE", "RELU6", "RELU_N1_TO_1", "TANH"]
    kw: dict = {"n_cell": int(r.integers(1, 14)), "batch": int(r.integers(1, 6)),
                "time": int(r.integers(3, 6)),
                "n_input": int(r.choice([1, 3, 8, 16, 17, 35])),
                "cifg": bool(r.random() < .3), "peephole": bool(r.random() < .4),
                "layer_norm": bool(r.random() < .3), "time_major": bool(r.random() < .5),
                "zero_step": bool(r.random() < .3), "minus_128": bool(r.random() < .3),
                "fused_activation_function": str(r.choice(acts)),
                "cell_clip": float(r.choice([0.0, 0.5]))}
    if r.random() < .2:
        kw["diagonal"] = True
    elif r.random() < .4:
        kw.update(projection=True, n_output=int(r.integers(1, 10)),
                  proj_bias=bool(r.random() < .7), proj_clip=float(r.choice([0.0, 0.4])))
    return kw, bool(r.random() < .5)


@pytest.mark.parametrize("seed", range(40))
def test_random_configs_bit_exact(seed: int) -> None:
    kw, asym = _random_config(seed)
    _compare(U._hybrid_ex(np.random.default_rng(seed + 1000), f"seed {seed}",
                          asymmetric=asym, **kw))


@pytest.mark.parametrize("asym", [False, True])
def test_larger_sizes_bit_exact(asym: bool) -> None:
    ex = U._hybrid_ex(np.random.default_rng(7), "large", asymmetric=asym, n_input=130,
                      n_cell=45, batch=3, time=12, peephole=True, projection=True,
                      n_output=37, proj_clip=0.5, layer_norm=True)
    _compare(ex)


def test_every_resolver_and_profile_runs_the_same_kernel() -> None:
    """XNNPACK does not delegate UNIDIRECTIONAL_SEQUENCE_LSTM and the reference and builtin
    resolvers register the same kernel: LiteRT's default AUTO path, the optimized builtin path
    and BUILTIN_REF agree bit for bit, and so do all our profiles."""
    rng = np.random.default_rng(3)
    for make in MOD.EXAMPLES:
        ex = make(rng)
        if not ex.quant:
            continue
        model, feeds = build(MOD, ex)
        content = to_bytes(model)
        ref = run_litert(content, feeds)[0]
        for resolver, profile in [("AUTO", "xnnpack"),
                                  ("BUILTIN_WITHOUT_DEFAULT_DELEGATES", "optimized")]:
            it = invoke_litert(content, feeds, resolver)
            got = it.get_tensor(it.get_output_details()[0]["index"])
            np.testing.assert_array_equal(got, ref, err_msg=f"{ex.name} {resolver}")
            ours = Runner(model, profile=profile).run_subgraph(model.main, feeds)[0]
            np.testing.assert_array_equal(ours, ref, err_msg=f"{ex.name} {profile}")


def test_batch_position_changes_the_last_bit_as_in_litert() -> None:
    """Not row-independent: a batch-major row's gate scratch starts b * n_cell floats into
    LiteRT's buffer, which decides which values Eigen's logistic computes with its scalar
    code (libm expf) instead of the packet code. So one sample run alone and the same sample
    inside a batch can differ in the last bit, in LiteRT and here alike."""
    ex = U._hybrid_ex(np.random.default_rng(4), "b", asymmetric=True, batch=5, n_cell=7,
                      n_input=9, peephole=True)
    whole, _ = _compare(ex)
    differs = False
    for b in range(5):
        one = Example([ex.inputs[0][b:b + 1], *ex.inputs[1:18],
                       np.zeros((1, 7), F32), np.zeros((1, 7), F32), *ex.inputs[20:]],
                      ex.options, f"row {b}", quant=ex.quant, variables=(18, 19),
                      rtol=0, atol=0)
        alone, _ = _compare(one)
        np.testing.assert_allclose(alone[0], whole[b], rtol=1e-5, atol=1e-6)
        differs |= not np.array_equal(alone[0], whole[b])
    assert differs


# -- emulated platform details ------------------------------------------------------------------

def test_eigen_logistic_matches_litert_logistic_op() -> None:
    """The optimized float LOGISTIC kernel runs the same Eigen expression over a 64-byte aligned
    buffer: packet code for the first size & ~3 values, scalar code (libm expf) for the rest."""
    rng = np.random.default_rng(5)
    logistic = ops.get("LOGISTIC")
    for n in (1, 3, 5, 8, 1027):
        x = (rng.standard_normal(n) * 8).astype(F32)
        x[: min(n, 3)] = [-120.0, 20.0, -90.0][: min(n, 3)]
        model, feeds = build(logistic, Example([x]))
        it = invoke_litert(to_bytes(model), feeds, "BUILTIN_WITHOUT_DEFAULT_DELEGATES")
        want = it.get_tensor(it.get_output_details()[0]["index"])
        np.testing.assert_array_equal(hl.eigen_logistic(x[None])[0], want)


def test_eigen_logistic_unaligned_head() -> None:
    x = np.linspace(-9, 9, 11, dtype=F32)[None]
    packet, scalar = hl._logistic_packet(x), hl._logistic_scalar(x)
    got = hl.eigen_logistic(x, start=1)  # 3 scalar values to reach 16 bytes, 4+4, 0 left
    np.testing.assert_array_equal(got[:, :3], scalar[:, :3])
    np.testing.assert_array_equal(got[:, 3:11], packet[:, 3:11])
    got = hl.eigen_logistic(x, start=4)
    np.testing.assert_array_equal(got[:, :8], packet[:, :8])
    np.testing.assert_array_equal(got[:, 8:], scalar[:, 8:])


def test_row_sum_lanes_wrap_like_litert() -> None:
    """SseReductionSumVector adds pairs into int16 lanes: with 4104 columns of large weights the
    lanes wrap, LiteRT's asymmetric input correction uses the wrapped sums, and so do we."""
    w = np.full((2, 4104), 127, np.int8)
    w[:, ::7] = 100
    exact = w.astype(np.int64).sum(axis=1)
    wrapped = hl.sse_row_sums(w)
    assert np.all(wrapped != exact)
    assert np.all((wrapped - exact) % 65536 == 0)
    small = np.random.default_rng(0).integers(-127, 128, (5, 2000)).astype(np.int8)
    np.testing.assert_array_equal(hl.sse_row_sums(small), small.astype(np.int64).sum(axis=1))

    ex = U._hybrid_ex(np.random.default_rng(0), "wrap", asymmetric=True, n_input=4104,
                      n_cell=3, time=2, batch=1)
    for i in (1, 2, 3, 4):
        ww = np.full(ex.inputs[i].value.shape, 127, np.int8)
        ww[:, ::7] = 100
        ex.inputs[i] = Const(ww)
    ex.inputs[0] = (np.abs(ex.inputs[0]) + 0.1).astype(F32)  # zero point -128
    ours, _ = _compare(ex)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(hl, "sse_row_sums", lambda m: m.astype(np.int64).sum(axis=1))
        model, feeds = build(MOD, ex)
        assert not np.array_equal(_ours(model, feeds), ours)


def test_libm_expf_is_close_to_exp() -> None:
    x = np.random.default_rng(1).uniform(-80, 80, 2000).astype(F32)
    got = hl.libm_expf(x)
    want = np.exp(x.astype(np.float64)).astype(F32)
    assert np.all(np.abs(got.view(np.int32) - want.view(np.int32)) <= 1)


# -- what the kernel refuses, and why --------------------------------------------------------

def _shape_only(ctx, x, *rest):
    r = rest[7]
    n_out = rest[15].shape[0] if rest[15] is not None else (r.shape[1] if r.ndim == 2 else
                                                             r.shape[0])
    return np.zeros(x.shape[:2] + (n_out,), F32)


def _litert_only(ex: Example):
    """LiteRT's output (or error) for a model our kernel refuses."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(MOD, "run_hybrid", _shape_only)
        model, feeds = build(MOD, ex)
    return model, feeds


def test_per_channel_weights_refused_litert_reads_scale_zero() -> None:
    def example(scales_of):
        ex = U._hybrid_ex(np.random.default_rng(2), "pc", asymmetric=True, n_input=6,
                          n_cell=5)
        for i in (1, 2, 3, 4):
            ex.quant[f"in{i}"] = scales_of(ex.quant[f"in{i}"][0])
        return ex

    per_channel = example(lambda s: ([s] * 5, [0] * 5, 0))
    model, feeds = _litert_only(per_channel)
    theirs = run_litert(to_bytes(model), feeds)[0]
    with pytest.raises(KernelError, match="per tensor"):
        _ours(model, feeds)
    # LiteRT's GetTensorScale reads the legacy per-tensor scale, 0 for a per-channel tensor.
    zero = example(lambda s: (0.0, 0))
    m0, f0 = build(MOD, zero)
    np.testing.assert_array_equal(run_litert(to_bytes(m0), f0)[0], theirs)
    np.testing.assert_array_equal(_ours(m0, f0), theirs)


@pytest.mark.parametrize("index,litert_refuses", [(7, True), (10, True), (3, False),
                                                  (16, False)])
def test_mixed_float_and_int8_weights_refused(index: int, litert_refuses: bool) -> None:
    """LiteRT's Prepare refuses a float recurrent or peephole tensor next to int8 weights, and
    reads a float input or projection matrix as int8 bytes: we refuse both."""
    kw = {"n_input": 6, "n_cell": 5, "peephole": True, "projection": True, "n_output": 3}
    ex = U._hybrid_ex(np.random.default_rng(0), "mixed", asymmetric=True, **kw)
    ex.inputs[index] = U._lstm(np.random.default_rng(0), "f", **kw).inputs[index]
    del ex.quant[f"in{index}"]
    model, feeds = _litert_only(ex)
    with pytest.raises(KernelError, match="int8|same type"):
        _ours(model, feeds)
    if litert_refuses:
        with pytest.raises(RuntimeError, match="type"):
            run_litert(to_bytes(model), feeds)


# -- dynamic-range conversion -------------------------------------------------------------------

def _float_model(**kw):
    ex = U._lstm(np.random.default_rng(kw.pop("seed", 0)), "float lstm", **kw)
    ex.inputs[0] = (ex.inputs[0] * 2).astype(F32)
    return build(MOD, ex)


def _histogram(model) -> tuple[Counter, Counter]:
    model = eq.load(to_bytes(model))
    ops_ = Counter(f"{op.type} v{op.version}" for _, _, op in model.operators())
    consts = Counter(t.dtype for sg in model.subgraphs for t in sg.tensors
                     if t.data is not None)
    return ops_, consts


def _check_runs(model, feeds, *, exact: bool) -> None:
    content = to_bytes(model)
    loaded = eq.load(content)
    ref = run_litert(content, feeds)[0]
    auto = run_litert(content, feeds, ref=False)[0]
    ours = Runner(loaded).run_subgraph(loaded.main, feeds)[0]
    if exact:
        np.testing.assert_array_equal(auto, ref)
        np.testing.assert_array_equal(ours, ref)
    else:
        np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize("strategy", ["auto", "tf"])
@pytest.mark.parametrize("time_major", [False, True])
def test_dynamic_range_lstm_is_hybrid(strategy: str, time_major: bool) -> None:
    model, feeds = _float_model(batch=3, time=5, n_input=32, n_cell=32, time_major=time_major)
    float_out = run_litert(to_bytes(model), feeds)[0]
    model, summary = quantize_dynamic_range(model, WeightOptions(strategy=strategy))
    assert summary.by_op["UNIDIRECTIONAL_SEQUENCE_LSTM"] == Counter(hybrid=1)
    hist, consts = _histogram(model)
    assert hist == Counter({"UNIDIRECTIONAL_SEQUENCE_LSTM v3": 1})
    assert consts["int8"] == 8 and consts["float32"] == 4  # the four gate biases
    op = model.main.operators[0]
    assert op.options["asymmetric_quantize_inputs"] is True
    for i in range(1, 9):
        w = op.inputs[i]
        assert w.dtype == "int8" and w.quantization.scale.size == 1
        assert np.abs(w.data).max() == 127 and np.all(w.quantization.zero_point == 0)
    _check_runs(model, feeds, exact=True)
    err = np.abs(run_litert(to_bytes(model), feeds)[0] - float_out)
    assert err.mean() < 0.01 and err.max() < 0.3  # outputs average |0.2|


def test_dynamic_range_lstm_all_weights_with_low_threshold() -> None:
    """With min_elements=1 every quantizable weight (peepholes included) becomes int8."""
    model, feeds = _float_model(batch=2, time=4, n_input=12, n_cell=10, peephole=True,
                                projection=True, n_output=6, layer_norm=True, cifg=True)
    model, summary = quantize_dynamic_range(model, WeightOptions(min_elements=1))
    assert summary.kinds == Counter(hybrid=1)
    hist, consts = _histogram(model)
    # CIFG: 3 input + 3 recurrent matrices, 2 peepholes, projection.
    assert hist == Counter({"UNIDIRECTIONAL_SEQUENCE_LSTM v3": 1}) and consts["int8"] == 9
    _check_runs(model, feeds, exact=True)


def test_dynamic_range_lstm_small_peephole(caplog: pytest.LogCaptureFixture) -> None:
    """Peephole vectors (n_cell values) are under the 1024 threshold: TF leaves the whole op
    float ('tf'); 'auto' stores the large matrices weight-only instead."""
    model, feeds = _float_model(batch=2, time=4, n_input=32, n_cell=32, peephole=True)
    with caplog.at_level(logging.WARNING):
        tf_model, summary = quantize_dynamic_range(model, WeightOptions(strategy="tf"))
    assert "stays float" in caplog.text
    assert summary.kinds == Counter(float=1)
    hist, consts = _histogram(tf_model)
    assert hist == Counter({"UNIDIRECTIONAL_SEQUENCE_LSTM v1": 1}) and consts["int8"] == 0

    model, feeds = _float_model(batch=2, time=4, n_input=32, n_cell=32, peephole=True)
    auto_model, summary = quantize_dynamic_range(model, WeightOptions(strategy="auto"))
    assert summary.by_op["UNIDIRECTIONAL_SEQUENCE_LSTM"] == Counter({"weight-only": 1})
    hist, consts = _histogram(auto_model)
    assert hist == Counter({"UNIDIRECTIONAL_SEQUENCE_LSTM v1": 1, "DEQUANTIZE v2": 8})
    assert consts["int8"] == 8
    _check_runs(auto_model, feeds, exact=False)


def test_dynamic_range_lstm_weight_only_strategy() -> None:
    model, feeds = _float_model(batch=2, time=4, n_input=32, n_cell=32)
    model, summary = quantize_dynamic_range(model, WeightOptions(strategy="weight-only"))
    assert summary.by_op["UNIDIRECTIONAL_SEQUENCE_LSTM"] == Counter({"weight-only": 1})
    hist, _ = _histogram(model)
    assert hist == Counter({"UNIDIRECTIONAL_SEQUENCE_LSTM v1": 1, "DEQUANTIZE v2": 8})
    assert "asymmetric_quantize_inputs" not in model.main.operators[-1].options or \
        not model.main.operators[-1].options["asymmetric_quantize_inputs"]
    _check_runs(model, feeds, exact=False)
