"""Damaged files raise ModelFormatError naming the file and the problem; never a crash."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
import tflite
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import edgequant as eq
from edgequant import ModelFormatError

DATA = Path(__file__).parent / "data"
SINE = (DATA / "real" / "tflm_sine_float_fp32.tflite").read_bytes()
MNIST = (DATA / "mnist_cnn" / "float.tflite").read_bytes()
LSTM = (DATA / "digits_lstm" / "float.tflite").read_bytes()


def _load_or_format_error(data: bytes) -> None:
    try:
        m = eq.load(data, label="fuzzed.tflite")
    except ModelFormatError as exc:
        assert "fuzzed.tflite" in str(exc)
        return
    # A flip inside weight data (or a field that still makes sense) gives a loadable model,
    # which must also be writable or rejected with a clear error.
    try:
        eq.to_bytes(m)
    except (ValueError, eq.EdgeQuantError):
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([SINE, LSTM]), st.floats(0, 1))
def test_truncations(model: bytes, frac: float) -> None:
    _load_or_format_error(model[:int(len(model) * frac)])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([SINE, MNIST, LSTM]), st.data())
def test_byte_flips(model: bytes, data: st.DataObject) -> None:
    buf = bytearray(model)
    # Flips concentrated in the graph (the part after the weights holds most structure) and
    # anywhere else.
    n = data.draw(st.integers(1, 8))
    for _ in range(n):
        pos = data.draw(st.integers(0, len(buf) - 1))
        buf[pos] = data.draw(st.integers(0, 255))
    _load_or_format_error(bytes(buf))


@settings(max_examples=100, deadline=None)
@given(st.integers(0, len(SINE) // 4 - 1), st.sampled_from([0xFFFFFFFF, 0x7FFFFFFF, 0x10000]))
def test_huge_words(word: int, value: int) -> None:
    buf = bytearray(SINE)
    struct.pack_into("<I", buf, word * 4, value)
    _load_or_format_error(bytes(buf))


def _patch_int32_vector(data: bytes, table, slot_offset: int, value: int) -> bytes:
    start = table._tab.Vector(table._tab.Offset(slot_offset))
    buf = bytearray(data)
    struct.pack_into("<i", buf, start, value)
    return bytes(buf)


def test_not_a_flatbuffer() -> None:
    with pytest.raises(ModelFormatError, match="too short"):
        eq.load(b"TFL3", label="x.tflite")
    with pytest.raises(ModelFormatError, match="file identifier"):
        eq.load(b"\x00" * 64, label="x.tflite")
    with pytest.raises(ModelFormatError, match=r"x.tflite: not a TFLite flatbuffer"):
        eq.load(b"PK\x03\x04" + b"\x00" * 100, label="x.tflite")


def test_wrong_identifier() -> None:
    buf = bytearray(SINE)
    buf[4:8] = b"CIRC"
    with pytest.raises(ModelFormatError, match="b'CIRC', expected b'TFL3'"):
        eq.load(bytes(buf), label="sine.tflite")


def test_tensor_index_out_of_range() -> None:
    op = tflite.Model.GetRootAs(SINE, 0).Subgraphs(0).Operators(0)
    bad = _patch_int32_vector(SINE, op, 6, 9999)  # Operator.inputs[0]
    with pytest.raises(ModelFormatError, match=r"op 0 \(FULLY_CONNECTED\) input refers to "
                                               r"tensor 9999"):
        eq.load(bad, label="sine.tflite")


def test_buffer_index_out_of_range() -> None:
    t = tflite.Model.GetRootAs(SINE, 0).Subgraphs(0).Tensors(0)
    pos = t._tab.Pos + t._tab.Offset(8)  # Tensor.buffer
    buf = bytearray(SINE)
    struct.pack_into("<I", buf, pos, 4242)
    with pytest.raises(ModelFormatError, match="refers to buffer 4242"):
        eq.load(bytes(buf), label="sine.tflite")


def test_opcode_index_out_of_range() -> None:
    sg = tflite.Model.GetRootAs(MNIST, 0).Subgraphs(0)
    # Opcode index 0 is the schema default and not stored; patch an op that stores one.
    k, op = next((k, sg.Operators(k)) for k in range(sg.OperatorsLength())
                 if sg.Operators(k).OpcodeIndex() > 0)
    buf = bytearray(MNIST)
    struct.pack_into("<I", buf, op._tab.Pos + op._tab.Offset(4), 77)
    with pytest.raises(ModelFormatError, match=f"op {k} uses opcode 77"):
        eq.load(bytes(buf), label="mnist.tflite")


def test_absurd_vector_length() -> None:
    sg = tflite.Model.GetRootAs(SINE, 0).Subgraphs(0)
    pos = sg._tab.Vector(sg._tab.Offset(4)) - 4  # length word of SubGraph.tensors
    buf = bytearray(SINE)
    struct.pack_into("<I", buf, pos, 0x7FFFFFFF)
    with pytest.raises(ModelFormatError, match="claims 2147483647 entries"):
        eq.load(bytes(buf), label="sine.tflite")


def test_constant_larger_than_its_buffer() -> None:
    """A shape claiming far more data than the buffer holds must not allocate it."""
    m = eq.load(SINE)
    w = m.main.operators[1].inputs[1]
    data = eq.to_bytes(m)
    raw = tflite.Model.GetRootAs(data, 0).Subgraphs(0)
    idx = next(i for i in range(raw.TensorsLength()) if raw.Tensors(i).Name().decode() == w.name)
    t = raw.Tensors(idx)
    bad = _patch_int32_vector(data, t, 4, 1 << 30)  # shape[0]
    with pytest.raises(ModelFormatError, match="needs .* bytes, buffer has"):
        eq.load(bad, label="sine.tflite")


def test_external_buffer_past_the_end() -> None:
    data = eq.to_bytes(eq.load(SINE), external_threshold=0)
    raw = tflite.Model.GetRootAs(data, 0)
    b = next(raw.Buffers(i) for i in range(raw.BuffersLength()) if raw.Buffers(i).Offset() > 1)
    buf = bytearray(data)
    struct.pack_into("<Q", buf, b._tab.Pos + b._tab.Offset(6), len(data) + 100)
    with pytest.raises(ModelFormatError, match="past the end"):
        eq.load(bytes(buf), label="sine.tflite")
