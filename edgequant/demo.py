"""``edgequant demo``: TensorFlow's post-training quantization tutorial, offline, on bundled data.

It follows the TF tutorials (``post_training_quant``, ``post_training_integer_quant``,
``post_training_float16_quant``, ``post_training_integer_quant_16x8``): take the MNIST-style
float model, convert it with ``TFLiteConverter`` in every mode (float, dynamic range, float16,
full integer with float fallback, integer only with int8 I/O, 16x8), calibrating on 100
representative samples one at a time as the tutorial's generator does, then check size,
accuracy, agreement with the float model and latency (``evaluate``).

The bundled files live in ``edgequant/data`` (see its README.md for their provenance).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .converter import OpsSet, Optimize, TFLiteConverter
from .evaluate import evaluate, format_table

DATA = Path(__file__).resolve().parent / "data"
MODEL = DATA / "mnist_cnn.tflite"
TEST = DATA / "mnist_cnn_test.npz"
CALIB = DATA / "mnist_cnn_calib.npz"
MODES = ("float", "dynamic", "float16", "int8", "int8-only", "16x8")
WHAT = {
    "float": "no optimizations",
    "dynamic": "int8 weights, float activations",
    "float16": "float16 weights",
    "int8": "int8 weights and activations, float fallback",
    "int8-only": "integer only, int8 input and output",
    "16x8": "int16 activations, int8 weights",
}


def converter_for(mode: str, calib: np.ndarray) -> TFLiteConverter:
    """A converter set up as the TF tutorial for ``mode`` sets up tf.lite's."""
    conv = TFLiteConverter.from_file(MODEL)
    if mode == "float":
        return conv
    conv.optimizations = [Optimize.DEFAULT]
    if mode == "float16":
        conv.target_spec.supported_types = [np.float16]
    elif mode in ("int8", "int8-only", "16x8"):
        def representative_dataset() -> Iterator[list[np.ndarray]]:
            for i in range(calib.shape[0]):
                yield [calib[i:i + 1]]

        conv.representative_dataset = representative_dataset
        if mode == "int8-only":
            conv.target_spec.supported_ops = {OpsSet.TFLITE_BUILTINS_INT8}
            conv.inference_input_type = np.int8
            conv.inference_output_type = np.int8
        elif mode == "16x8":
            conv.target_spec.supported_ops = {
                OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8}
    elif mode != "dynamic":
        raise ValueError(f"unknown mode {mode!r}; one of {MODES}")
    return conv


@dataclass
class DemoResult:
    rows: list[dict[str, Any]]
    files: dict[str, Path]  # mode -> written model (gone when no out_dir was given)
    samples: int
    calibration_samples: int


def run_demo(out_dir: str | Path | None = None, *, samples: int | None = None,
             latency: bool = True, litert: bool | None = None, progress: bool = False,
             latency_budget_s: float = 0.25) -> DemoResult:
    """Convert the bundled model in every mode into ``out_dir`` (a temporary directory, removed
    afterwards, when None) and evaluate the results on the bundled test set (the first
    ``samples`` images)."""
    with np.load(TEST) as z:
        x, y = z["x"], z["y"]
    with np.load(CALIB) as z:
        calib = z["x"]
    if samples is not None:
        x, y = x[:samples], y[:samples]
    with tempfile.TemporaryDirectory(prefix="edgequant-demo-") as tmp:
        folder = Path(out_dir) if out_dir is not None else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        files = {}
        for mode in MODES:
            files[mode] = folder / f"mnist_cnn_{mode}.tflite"
            files[mode].write_bytes(converter_for(mode, calib).convert())
        rows = evaluate(files["float"], [files[m] for m in MODES[1:]], x, y,
                        names=list(MODES[1:]), latency=latency, litert=litert,
                        progress=progress, latency_budget_s=latency_budget_s)
    return DemoResult(rows, files, int(x.shape[0]), int(calib.shape[0]))


def format_demo(result: DemoResult) -> str:
    cols = ["name", "size", "ratio", "top1", "agreement", "edgequant_ms", "litert_ms"]
    table = format_table(result.rows, cols, headers={"name": "mode", "agreement": "agreement"})
    title = (f"mnist_cnn (bundled): {result.samples} test digits, calibrated on "
             f"{result.calibration_samples} samples")
    lines = [title, "", table, ""]
    lines += [f"  {m:<9} {WHAT[m]}" for m in MODES]
    lines.append("latency: median ms per sample at batch 1, on edgequant's NumPy interpreter "
                 "and,\nwhen ai-edge-litert is installed, on LiteRT (default resolver, 1 thread)")
    return "\n".join(lines)


__all__ = ["MODES", "DemoResult", "converter_for", "format_demo", "run_demo"]
