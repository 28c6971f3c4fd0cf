"""Load + save throughput of the .tflite reader/writer; prints JSON.

Models: mobilenet_v2_096 (tests/data) and a synthetic chain of FULLY_CONNECTED layers holding
200 MB of float32 weights. Goal (issue 2): >= 200 MB/s for load+save.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import edgequant as eq  # noqa: E402
from edgequant.ir import Model, Operator, Subgraph, Tensor  # noqa: E402


def synthetic(total_mb: int = 200, width: int = 1024) -> Model:
    sg = Subgraph(name="main")
    x = Tensor("x", (1, width))
    sg.inputs = [x]
    sg.tensors = [x]
    layers = total_mb * 2**20 // (width * width * 4)
    rng = np.random.default_rng(0)
    for i in range(layers):
        w = Tensor(f"w{i}", (width, width), data=rng.standard_normal((width, width),
                                                                     dtype=np.float32))
        y = Tensor(f"y{i}", (1, width))
        sg.tensors += [w, y]
        sg.operators.append(Operator("FULLY_CONNECTED", [x, w], [y],
                                     {"fused_activation_function": "RELU"},
                                     "FullyConnectedOptions"))
        x = y
    sg.outputs = [x]
    return Model(subgraphs=[sg])


def measure(path: Path, repeats: int) -> dict:
    size = path.stat().st_size
    loads, saves = [], []
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "out.tflite"
        for _ in range(repeats):
            t0 = time.perf_counter()
            m = eq.load(path)
            t1 = time.perf_counter()
            eq.save(m, out)
            t2 = time.perf_counter()
            loads.append(t1 - t0)
            saves.append(t2 - t1)
    load_s, save_s = statistics.median(loads), statistics.median(saves)
    return {"bytes": size, "load_s": round(load_s, 4), "save_s": round(save_s, 4),
            "load_save_MB_per_s": round(size / 2**20 / (load_s + save_s), 1)}


def main() -> None:
    results = {"mobilenet_v2_096": measure(ROOT / "tests/data/mobilenet_v2_096/float.tflite", 5)}
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "synthetic.tflite"
        eq.save(synthetic(), p)
        results["synthetic_200MB"] = measure(p, 3)
    results["goal_MB_per_s"] = 200
    results["cpu_count"] = os.cpu_count()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
