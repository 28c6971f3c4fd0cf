"""The command line: output, JSON, and one-line errors with a non-zero exit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edgequant.cli import main

DATA = Path(__file__).parent / "data"
MNIST = DATA / "mnist_cnn" / "float.tflite"


def test_inspect_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(MNIST)]) == 0
    out = capsys.readouterr().out
    assert "CONV_2D v1" in out and "serving_default_keras_tensor:0: float32[-1, 28, 28]" in out
    assert "weight bytes: 81,660" in out


def test_inspect_json_quantized(capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA / "tf_converted" / "mnist_cnn__int_only_int8_io.tflite"
    assert main(["inspect", str(path), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["inputs"][0]["dtype"] == "int8"
    assert set(s["inputs"][0]["quantization"]) == {"scale", "zero_point"}
    assert s["ops"]["CONV_2D v3"] == 1 and s["ops"]["FULLY_CONNECTED v4"] == 1
    assert s["weight_bytes"]["int8"] > 0 and s["file_bytes"] == path.stat().st_size


@pytest.mark.parametrize("content,expect", [
    (None, "No such file"),
    (b"not a model at all", "not a TFLite flatbuffer"),
])
def test_bad_input_is_one_line(tmp_path: Path, content: bytes | None, expect: str) -> None:
    path = tmp_path / "m.tflite"
    if content is not None:
        path.write_bytes(content)
    r = subprocess.run([sys.executable, "-m", "edgequant.cli", "inspect", str(path)],
                       capture_output=True, text=True)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("edgequant: error:") and expect in lines[0]
    assert "Traceback" not in r.stderr


def test_run_writes_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out.npz"
    x = np.load(DATA / "mnist_cnn" / "test.npz")["x"][:40]
    np.savez(tmp_path / "in.npz", x=x)
    assert main(["-q", "run", str(MNIST), "--data", str(tmp_path / "in.npz"), "-o",
                 str(out)]) == 0
    with np.load(out) as z:
        assert list(z.files) == ["output_0"] and z["output_0"].shape == (40, 10)


def test_run_fixed_batch_model(tmp_path: Path) -> None:
    out = tmp_path / "out.npz"
    path = DATA / "digits_lstm" / "float.tflite"
    np.savez(tmp_path / "in.npz", x=np.load(DATA / "digits_lstm" / "test.npz")["x"][:3])
    assert main(["-q", "run", str(path), "--data", str(tmp_path / "in.npz"), "-o",
                 str(out)]) == 0
    with np.load(out) as z:
        assert z[z.files[0]].shape == (3, 10)


def test_run_rejects_mismatched_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    np.savez(tmp_path / "in.npz", x=np.zeros((4, 28, 27), np.float32))
    out = tmp_path / "out.npz"
    assert main(["run", str(MNIST), "--data", str(tmp_path / "in.npz"), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "expected shape [-1, 28, 28]" in err and "got [4, 28, 27]" in err
    assert not out.exists()
    np.savez(tmp_path / "in.npz", images=np.zeros((4, 28, 28), np.float32))
    assert main(["run", str(MNIST), "--data", str(tmp_path / "in.npz"), "-o", str(out)]) == 1
    assert "no array for model input" in capsys.readouterr().err
