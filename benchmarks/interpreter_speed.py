"""Interpreter latency vs LiteRT, and calibration throughput; prints JSON.

Per float model: median batch-1 latency of edgequant's Interpreter, of LiteRT without delegates
(BUILTIN_WITHOUT_DEFAULT_DELEGATES, 1 thread) and of LiteRT with its defaults (XNNPACK, 1
thread), all measured in this one run; and edgequant's throughput at batch 32 (samples/s), the
calibration path. Goal (issue 3): edgequant / LiteRT-without-delegates <= 3 on mobilenet_v2_096
and hand_recrop.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import edgequant as eq  # noqa: E402
from edgequant.samples import batchable  # noqa: E402

DATA = ROOT / "tests" / "data"
MODELS = {
    "mnist_cnn": DATA / "mnist_cnn" / "float.tflite",
    "digits_mobilenetish": DATA / "digits_mobilenetish" / "float.tflite",
    "digits_lstm": DATA / "digits_lstm" / "float.tflite",
    "mobilenet_v2_096": DATA / "mobilenet_v2_096" / "float.tflite",
    "hand_recrop": DATA / "real" / "mediapipe_hand_recrop_fp32.tflite",
    "sine": DATA / "real" / "tflm_sine_float_fp32.tflite",
}


def timeit(fn, min_runs: int = 10, budget_s: float = 2.0) -> float:
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_runs or (time.perf_counter() - start < budget_s and len(times) < 200):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def litert_latency(path: Path, x: np.ndarray, resolver) -> float:
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(path), num_threads=1, experimental_op_resolver_type=resolver)
    it.allocate_tensors()
    d = it.get_input_details()[0]
    it.set_tensor(d["index"], x)
    return timeit(it.invoke)


def main() -> None:
    from ai_edge_litert.interpreter import OpResolverType

    results = {}
    rng = np.random.default_rng(0)
    for name, path in MODELS.items():
        model = eq.load(path)
        t = model.main.inputs[0]
        shape = [d if d > 0 else 1 for d in t.shape]
        x = rng.random(shape, dtype=np.float32)
        it = eq.Interpreter(model_path=str(path))
        it.allocate_tensors()
        idx = it.get_input_details()[0]["index"]
        it.set_tensor(idx, x)
        ours = timeit(it.invoke)
        noxnn = litert_latency(path, x, OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        default = litert_latency(path, x, OpResolverType.AUTO)
        row = {"edgequant_ms": round(ours * 1e3, 3),
               "litert_no_delegates_ms": round(noxnn * 1e3, 3),
               "litert_default_ms": round(default * 1e3, 3),
               "ratio_vs_no_delegates": round(ours / noxnn, 2)}
        runner = eq.Runner(model)
        if batchable(model):
            xb = rng.random([32] + shape[1:], dtype=np.float32)
            per_batch = timeit(lambda: runner.run_subgraph(model.main, [xb]), min_runs=3)
            row["calibration_samples_per_s_batch32"] = round(32 / per_batch, 1)
        else:
            row["calibration_samples_per_s_batch1"] = round(
                1 / timeit(lambda: runner.run_subgraph(model.main, [x]), min_runs=3), 1)
        results[name] = row
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
