"""Full-integer modes (int8 with float fallback, integer only with int8 I/O, 16x8): quality,
size, conversion time and LiteRT latency against TensorFlow's files; prints JSON.

Per model and mode, measured in this one run:
* ``convert_s``: wall time of ``convert()`` with 100 calibration samples (imports and file
  reading excluded; goal <= 1.5 s on mobilenet_v2_096);
* ``top1`` (labelled models), ``agree`` (argmax agreement with the float model) and ``cos``
  (mean per-sample cosine of dequantized outputs to float outputs) on the whole test set, run in
  LiteRT's default resolver, for our file and TF's (``tests/data/tf_converted``);
* ``size_bytes`` of both;
* ``latency_ms_1t``: LiteRT, 1 thread, default resolver (XNNPACK), interleaved medians, for the
  int8 modes (16x8 runs on LiteRT's slow reference int16 kernels; only its quality is reported).

Usage: ``python benchmarks/full_integer.py [model ...] [--modes int8,int8-only,16x8]``.
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

DATA = ROOT / "tests" / "data"
MODELS = ["mnist_cnn", "digits_mobilenetish", "digits_lstm", "mobilenet_v2_096"]
TF_NAME = {"int8": "full_int_float_fallback", "int8-only": "int_only_int8_io",
           "16x8": "int16x8"}


def convert(name: str, mode: str, calib: np.ndarray) -> tuple[bytes, float]:
    c = eq.TFLiteConverter.from_file(DATA / name / "float.tflite")
    c.optimizations = [eq.Optimize.DEFAULT]
    shape = c._model.main.inputs[0].shape
    c.representative_dataset = lambda: ([s.reshape(shape)] for s in calib[:100])
    if mode == "int8-only":
        c.target_spec.supported_ops = {eq.OpsSet.TFLITE_BUILTINS_INT8}
        c.inference_input_type = np.int8
        c.inference_output_type = np.int8
    elif mode == "16x8":
        c.target_spec.supported_ops = {
            eq.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8}
    t0 = time.perf_counter()
    data = c.convert()
    return data, time.perf_counter() - t0


def run_all(content: bytes, x: np.ndarray) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_content=content, num_threads=1)
    it.allocate_tensors()
    d, o = it.get_input_details()[0], it.get_output_details()[0]
    outs = []
    for s in x:
        v = s.reshape(d["shape"])
        if d["dtype"] != np.float32:
            sc, zp = d["quantization"]
            info = np.iinfo(d["dtype"])
            v = np.clip(np.round(v / sc) + zp, info.min, info.max).astype(d["dtype"])
        it.set_tensor(d["index"], v)
        it.invoke()
        r = it.get_tensor(o["index"]).astype(np.float32)
        if o["dtype"] != np.float32:
            sc, zp = o["quantization"]
            r = (r - zp) * sc
        outs.append(r.ravel())
    return np.array(outs)


def quality(out: np.ndarray, ref: np.ndarray, y: np.ndarray | None) -> dict[str, float]:
    cos = np.sum(out * ref, 1) / (np.linalg.norm(out, axis=1) * np.linalg.norm(ref, axis=1)
                                  + 1e-30)
    q = {"agree": float(np.mean(out.argmax(1) == ref.argmax(1))), "cos": float(cos.mean())}
    if y is not None:
        q["top1"] = float(np.mean(out.argmax(1) == y))
    return {k: round(v, 5) for k, v in q.items()}


def latencies(models: dict[str, bytes], x: np.ndarray, rounds: int = 7) -> dict[str, float]:
    from ai_edge_litert.interpreter import Interpreter

    its = {}
    for key, content in models.items():
        it = Interpreter(model_content=content, num_threads=1)
        it.allocate_tensors()
        d = it.get_input_details()[0]
        it.set_tensor(d["index"], np.zeros(d["shape"], d["dtype"]))
        for _ in range(20):
            it.invoke()
        its[key] = it
    samples: dict[str, list[float]] = {k: [] for k in its}
    for _ in range(rounds):
        for key, it in its.items():
            n = 50
            t0 = time.perf_counter()
            for _ in range(n):
                it.invoke()
            samples[key].append((time.perf_counter() - t0) / n)
    return {k: round(statistics.median(v) * 1e3, 4) for k, v in samples.items()}


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    modes = ["int8", "int8-only", "16x8"]
    for a in sys.argv[1:]:
        if a.startswith("--modes="):
            modes = a.split("=", 1)[1].split(",")
    out = {}
    for name in args or MODELS:
        calib = np.load(DATA / name / "calib.npz")["x"]
        test = np.load(DATA / name / "test.npz")
        x, y = test["x"], (test["y"] if "y" in test.files else None)
        info = json.loads((DATA / name / "info.json").read_text())
        if not info.get("labels_meaningful", True):
            y = None
        flt = (DATA / name / "float.tflite").read_bytes()
        ref = run_all(flt, x)
        row: dict = {}
        lat_models = {"float": flt}
        for mode in modes:
            data, secs = convert(name, mode, calib)
            tf_path = DATA / "tf_converted" / f"{name}__{TF_NAME[mode]}.tflite"
            r = {"convert_s": round(secs, 3), "size_bytes": len(data),
                 "edgequant": quality(run_all(data, x), ref, y)}
            if tf_path.exists():
                tf = tf_path.read_bytes()
                r["tf_size_bytes"] = len(tf)
                r["size_vs_tf"] = round(len(data) / len(tf), 4)
                r["tf"] = quality(run_all(tf, x), ref, y)
                if mode != "16x8":
                    lat_models[f"tf_{mode}"] = tf
            else:
                r["tf"] = "no TF file (TF's converter crashed on this model)"
            if mode != "16x8":
                lat_models[f"edgequant_{mode}"] = data
            row[mode] = r
        row["latency_ms_1t"] = latencies(lat_models, x[:1])
        out[name] = row
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
