"""Conversion wall time and LiteRT latency of the results; prints JSON.

Per float model and mode (dynamic range, float16): edgequant's ``convert()`` wall time (imports
and file reading excluded; goal <= 0.1 s on mobilenet_v2_096), and LiteRT latency (1 thread,
default resolver with XNNPACK) of the float model, of our file and of TensorFlow's file for the
same mode, all measured in this one run, interleaved to share the machine's noise.
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

from edgequant.converter import Optimize, TFLiteConverter  # noqa: E402

DATA = ROOT / "tests" / "data"
MODELS = ["mnist_cnn", "digits_mobilenetish", "digits_lstm", "mobilenet_v2_096"]
TF_NAME = {"dynamic": "dynamic_range", "float16": "float16"}


def convert(name: str, mode: str) -> tuple[bytes, float]:
    times = []
    data = b""
    for _ in range(5):
        c = TFLiteConverter.from_file(DATA / name / "float.tflite")
        c.optimizations = [Optimize.DEFAULT]
        if mode == "float16":
            c.target_spec.supported_types = ["float16"]
        t0 = time.perf_counter()
        data = c.convert()
        times.append(time.perf_counter() - t0)
    return data, statistics.median(times)


def latencies(models: dict[str, bytes], x: np.ndarray, rounds: int = 7) -> dict[str, float]:
    from ai_edge_litert.interpreter import Interpreter

    its = {}
    for key, content in models.items():
        it = Interpreter(model_content=content, num_threads=1)
        it.allocate_tensors()
        d = it.get_input_details()[0]
        it.set_tensor(d["index"], x.reshape(d["shape"]))
        for _ in range(20):
            it.invoke()
        its[key] = it
    samples: dict[str, list[float]] = {k: [] for k in its}
    for _ in range(rounds):  # interleave so every model sees the same machine load
        for key, it in its.items():
            n = 50
            t0 = time.perf_counter()
            for _ in range(n):
                it.invoke()
            samples[key].append((time.perf_counter() - t0) / n)
    return {k: statistics.median(v) * 1e3 for k, v in samples.items()}


def main() -> None:
    out = {}
    for name in MODELS:
        x = np.load(DATA / name / "test.npz")["x"][:1]
        models = {"float": (DATA / name / "float.tflite").read_bytes()}
        conv_s = {}
        for mode in ("dynamic", "float16"):
            data, secs = convert(name, mode)
            models[f"edgequant_{mode}"] = data
            models[f"tf_{mode}"] = (DATA / "tf_converted" /
                                    f"{name}__{TF_NAME[mode]}.tflite").read_bytes()
            conv_s[mode] = round(secs, 4)
        lat = latencies(models, x)
        row = {"convert_s": conv_s, "latency_ms_1t": {k: round(v, 4) for k, v in lat.items()},
               "size_bytes": {k: len(v) for k, v in models.items()}}
        row["speedup_vs_float"] = {k: round(lat["float"] / v, 2) for k, v in lat.items()
                                   if k != "float"}
        out[name] = row
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
