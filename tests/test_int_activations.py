"""Integer activation kernels against LiteRT's other resolvers, and refusals that mirror
LiteRT's Prepare checks.

tests/test_ops.py already holds every op file's EXAMPLES to BUILTIN_REF bit for bit. Here the
same integer examples (RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU, PRELU, LOGISTIC, TANH,
HARD_SWISH, GELU, SOFTMAX, LOG_SOFTMAX, L2_NORMALIZATION) also run against:

* ``AUTO`` (the default resolver, XNNPACK applied) with edgequant's 'xnnpack' profile: equal
  or within 1 LSB;
* ``BUILTIN_WITHOUT_DEFAULT_DELEGATES`` with the 'optimized' profile: bit for bit;
* ``AUTO`` with the 'reference' profile, to document how far LiteRT's default path is from its
  reference kernels. Measured on ai-edge-litert 2.3.0, x86-64 (``REF_VS_AUTO`` below):

  - exact: RELU, RELU6, RELU_N1_TO_1, PRELU, HARD_SWISH, GELU, L2_NORMALIZATION, LOG_SOFTMAX
    (XNNPACK takes none of them quantized; the builtin kernels compute the same; LOG_SOFTMAX's
    float-table kernel agreed on every output we tried, ~33k), SOFTMAX int16.
  - within 1 LSB: LEAKY_RELU int8 (XNNPACK's 8.8 fixed-point multipliers: 41 of 66k outputs
    here) and int16 (the optimized kernel's signed alpha multiplier, at exact ties);
    LOGISTIC int8 (XNNPACK's table computes the sigmoid in double: 4 entries in 3000 random
    tables differ) and TANH int8 (XNNPACK rounds ties to even: only exact ties differ);
    SOFTMAX int8 (the optimized float-table kernel: 14 of 31k outputs in a sweep).
  - LOGISTIC / TANH int16 with input scale 2^-12 (and 2^-11 for TANH): the default kernel is
    gemmlowp's int16 fixed point, up to 7 (LOGISTIC) and 12 (TANH) LSB from the reference.

  In every case here the 'xnnpack' profile reproduced AUTO exactly.

XNNPACK's choices are those of the x86-64 wheel; the AUTO comparisons are skipped elsewhere.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import tempfile
import zlib
from typing import Any

import numpy as np
import pytest
from ophelpers import build, invoke_litert, qparams

from edgequant import ops
from edgequant.errors import EdgeQuantError
from edgequant.interpreter import Runner
from edgequant.ops import _lut
from edgequant.ops._base import Example
from edgequant.tflite_io import to_bytes

pytest.importorskip("ai_edge_litert")

OPS = ("RELU", "RELU6", "RELU_N1_TO_1", "LEAKY_RELU", "PRELU", "LOGISTIC", "TANH",
       "HARD_SWISH", "GELU", "SOFTMAX", "LOG_SOFTMAX", "L2_NORMALIZATION")

# Largest |reference - AUTO| over this file's cases (ai-edge-litert 2.3.0, x86-64).
REF_VS_AUTO = {"LEAKY_RELU": 1, "LOGISTIC": 7, "TANH": 12, "SOFTMAX": 1}

X86 = platform.machine().lower() in ("x86_64", "amd64")


def _int_cases() -> list[Any]:
    """(op, example index, seed) of every integer example in the op files."""
    out = []
    for name in OPS:
        for i, ex in enumerate(ops.registry()[name].EXAMPLES):
            if isinstance(ex, Example):
                if ex.quant:
                    out.append(pytest.param(name, i, 0, id=f"{name}-{i}"))
                continue
            probe = ex(np.random.default_rng(0))
            if probe.quant:
                out.extend(pytest.param(name, i, seed, id=f"{name}-{i}-s{seed}")
                           for seed in (0, 1))
    return out


def _example(name: str, index: int, seed: int) -> Example:
    ex = ops.registry()[name].EXAMPLES[index]
    if isinstance(ex, Example):
        return ex
    return ex(np.random.default_rng(zlib.crc32(f"int/{name}/{index}/{seed}".encode())))


def _litert(content: bytes, feeds: list[np.ndarray], resolver: str) -> np.ndarray:
    it = invoke_litert(content, feeds, resolver)
    return it.get_tensor(it.get_output_details()[0]["index"])


def _diff(a: np.ndarray, b: np.ndarray) -> int:
    assert a.shape == b.shape and a.dtype == b.dtype
    return int(np.abs(a.astype(np.int64) - b.astype(np.int64)).max(initial=0))


@pytest.mark.skipif(not X86, reason="XNNPACK/optimized kernels measured on x86-64 only")
@pytest.mark.parametrize("name,index,seed", _int_cases())
def test_profiles_against_litert_resolvers(name: str, index: int, seed: int) -> None:
    ex = _example(name, index, seed)
    model, feeds = build(ops.registry()[name], ex)
    content = to_bytes(model)
    auto = _litert(content, feeds, "AUTO")
    optimized = _litert(content, feeds, "BUILTIN_WITHOUT_DEFAULT_DELEGATES")

    def ours(profile: str) -> np.ndarray:
        return Runner(model, profile=profile).run_subgraph(model.main, feeds)[0]

    assert _diff(ours("xnnpack"), auto) <= 1, f"{name} {ex.name}: xnnpack profile vs AUTO"
    assert _diff(ours("optimized"), optimized) == 0, f"{name} {ex.name}: optimized profile"
    bound = REF_VS_AUTO.get(name, 0)
    assert _diff(ours("reference"), auto) <= bound, f"{name} {ex.name}: reference vs AUTO"


@pytest.mark.skipif(not X86, reason="XNNPACK kernels measured on x86-64 only")
@pytest.mark.parametrize("name", ["LOGISTIC", "TANH", "LEAKY_RELU", "SOFTMAX"])
def test_xnnpack_profile_exact_on_sweep(name: str) -> None:
    """Where XNNPACK or the optimized kernel computes differently, the 'xnnpack' profile follows
    it exactly over many random scales (every int8 code, or random rows for SOFTMAX)."""
    rng = np.random.default_rng(7)
    mod = ops.registry()[name]
    ref_differs = 0
    for _ in range(40):
        if name == "SOFTMAX":
            ex = mod._q_softmax(rng, "int8", "sweep", float(rng.choice([1.0, 0.7, 1.9])))
        else:
            q_out = {"LOGISTIC": (1 / 256, -128), "TANH": (1 / 128, 0)}.get(name)
            opts = {"alpha": float(rng.uniform(-1.5, 1.5))} if name == "LEAKY_RELU" else {}
            ex = _lut.q_example(rng, "int8", "sweep", opts, x=_lut.every_code("int8", (2, 128)),
                                q_out=q_out, q_in=(_lut.rand_scale(rng, 1e-3, 0.3),
                                                   int(rng.integers(-128, 128))))
        model, feeds = build(mod, ex)
        auto = _litert(to_bytes(model), feeds, "AUTO")
        got = Runner(model, profile="xnnpack").run_subgraph(model.main, feeds)[0]
        assert _diff(got, auto) == 0, f"{name}: {ex.quant} {ex.options}"
        ref = Runner(model).run_subgraph(model.main, feeds)[0]
        ref_differs += _diff(ref, auto) > 0
    if name == "LEAKY_RELU":
        assert ref_differs > 0  # XNNPACK's 8.8 multipliers do show up


# -- refusals ---------------------------------------------------------------------------------


def _requantized(name: str, dtype: str, q_in: tuple, q_out: tuple, options: dict | None = None,
                 ) -> tuple[Any, list[np.ndarray]]:
    """A single-op model built with parameters our kernel accepts, then given ``q_in`` /
    ``q_out``."""
    ok_out = {"LOGISTIC": (1 / 256, -128), "TANH": (1 / 128, 0), "SOFTMAX": (1 / 256, -128),
              "LOG_SOFTMAX": (16 / 256, 127), "L2_NORMALIZATION": (1 / 128, 0)}.get(name)
    if dtype == "int16":
        ok_out = {"LOGISTIC": (1 / 32768, 0), "TANH": (1 / 32768, 0),
                  "SOFTMAX": (1 / 32768, 0)}.get(name, (0.01, 0))
    ex = Example([_lut.every_code(dtype, (2, 128) if dtype == "int8" else (2, 32768))],
                 dict(options or {}), "refusal",
                 quant={"in0": (0.01, 0), "out0": ok_out or (0.02, 0)})
    model, feeds = build(ops.registry()[name], ex)
    op = model.main.operators[0]
    op.inputs[0].quantization = qparams(q_in)
    op.outputs[0].quantization = qparams(q_out)
    return model, feeds


REFUSALS = [
    ("LOGISTIC", "int8", (0.05, 0), (1 / 128, 0), None, "1/256"),
    ("LOGISTIC", "int16", (0.001, 0), (1 / 16384, 0), None, "1/32768"),
    ("LOGISTIC", "int16", (0.001, 3), (1 / 32768, 0), None, "zero point"),
    ("TANH", "int16", (0.001, 0), (1 / 16384, 0), None, "2^-15"),
    ("RELU", "int16", (0.01, 5), (0.01, 0), None, "zero point"),
    ("RELU6", "int16", (0.01, 0), (0.01, -2), None, "zero point"),
    ("LEAKY_RELU", "int16", (0.01, 1), (0.01, 0), {"alpha": 0.2}, "zero point"),
    ("HARD_SWISH", "int8", (0.5, 0), (0.001, 0), None, "output scale"),
    ("SOFTMAX", "int8", (0.05, 0), (1 / 256, -127), {"beta": 1.0}, "1/256"),
    ("SOFTMAX", "int16", (0.001, 0), (1 / 256, 0), {"beta": 1.0}, "1/32768"),
    ("LOG_SOFTMAX", "int8", (0.05, 0), (16 / 256, 126), None, "16/256"),
    ("L2_NORMALIZATION", "int8", (0.05, 0), (1 / 64, 0), None, "1/128"),
]


@pytest.mark.parametrize("name,dtype,q_in,q_out,options,message", REFUSALS,
                         ids=[f"{r[0]}-{r[1]}-{r[5]}" for r in REFUSALS])
def test_refuses_what_litert_refuses(name: str, dtype: str, q_in: tuple, q_out: tuple,
                                     options: dict | None, message: str) -> None:
    model, feeds = _requantized(name, dtype, q_in, q_out, options)
    with pytest.raises(EdgeQuantError, match=re.escape(message)):
        Runner(model).run_subgraph(model.main, feeds)
    with pytest.raises((RuntimeError, ValueError)):
        _litert(to_bytes(model), feeds, "BUILTIN_REF")


@pytest.mark.parametrize("name", ["RELU_N1_TO_1", "HARD_SWISH", "LOG_SOFTMAX",
                                  "L2_NORMALIZATION"])
def test_no_int16_kernel(name: str) -> None:
    """LiteRT has no int16 kernel for these; neither do we (QUANT says so too)."""
    assert not ops.registry()[name].QUANT.int16
    ex = Example([_lut.every_code("int16", (2, 32768))], {}, "int16",
                 quant={"in0": (0.001, 0), "out0": (0.001, 0)})
    with pytest.raises(EdgeQuantError, match="int16"):
        build(ops.registry()[name], ex)


def test_softmax_refuses_rows_litert_aborts_on() -> None:
    """int8 SOFTMAX: a row whose exponentials sum to 512 or more trips a TFLITE_CHECK in the
    reference kernel, which aborts the process (checked in a subprocess); we raise instead.
    The optimized kernel ('xnnpack' profile) has no such limit."""
    ex = Example([np.zeros((1, 4), np.int8)], {"beta": 1.0}, "ok",
                 quant={"in0": (0.001, 0), "out0": (1 / 256, -128)})
    model, _ = build(ops.registry()["SOFTMAX"], ex)
    wide = [np.zeros((2, 600), np.int8)]
    with pytest.raises(EdgeQuantError, match="512"):
        Runner(model).run_subgraph(model.main, wide)
    out = Runner(model, profile="xnnpack").run_subgraph(model.main, wide)[0]
    assert out.shape == (2, 600)
    script = ("import sys, numpy as np; sys.path.insert(0, 'tests');"
              "from ophelpers import invoke_litert;"
              "invoke_litert(open(sys.argv[1], 'rb').read(), [np.zeros((2, 600), np.int8)],"
              " 'BUILTIN_REF'); print('survived')")
    return_code, survived = _run_isolated(script, to_bytes(model))
    assert not survived and return_code != 0


def _run_isolated(script: str, content: bytes) -> tuple[int, bool]:
    """Run ``script`` on a model file in a child Python without core dumps: (exit code,
    whether it printed 'survived')."""
    import resource  # POSIX only, like the abort being tested

    with tempfile.NamedTemporaryFile(suffix=".tflite", delete=False) as f:
        f.write(content)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", script, f.name], capture_output=True, text=True, check=False,
            timeout=120, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_CORE, (0, 0)))
    finally:
        os.unlink(f.name)
    return proc.returncode, "survived" in proc.stdout


def test_quant_declarations() -> None:
    """Fixed output parameters and roles as the planner reads them."""
    reg = ops.registry()
    assert reg["SOFTMAX"].QUANT.fixed == {"int8": (1 / 256, -128), "int16": (1 / 32768, 0)}
    assert reg["LOGISTIC"].QUANT.fixed == {"int8": (1 / 256, -128), "int16": (1 / 32768, 0)}
    assert reg["TANH"].QUANT.fixed == {"int8": (1 / 128, 0), "int16": (1 / 32768, 0)}
    assert reg["LOG_SOFTMAX"].QUANT.fixed == {"int8": (16 / 256, 127)}
    assert reg["L2_NORMALIZATION"].QUANT.fixed == {"int8": (1 / 128, 0)}
    assert reg["PRELU"].QUANT.inputs == ("act", "weight")
    assert reg["PRELU"].QUANT.weight_axis is None
    for name in ("RELU", "RELU6", "LEAKY_RELU", "GELU", "PRELU", "LOGISTIC", "TANH", "SOFTMAX"):
        assert reg[name].QUANT.int8 and reg[name].QUANT.int16, name
    for name in ("RELU_N1_TO_1", "HARD_SWISH", "LOG_SOFTMAX", "L2_NORMALIZATION"):
        assert reg[name].QUANT.int8 and not reg[name].QUANT.int16, name
