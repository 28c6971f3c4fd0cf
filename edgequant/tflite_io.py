"""Read and write ``.tflite`` flatbuffers: ``load(path_or_bytes) -> Model``, ``to_bytes``, ``save``.

Follows LiteRT's ``tflite/converter/schema/schema.fbs`` (schema version 3) through the ``tflite``
package's generated readers, plus what LiteRT's loader does on top of it:

* ``OperatorCode``: the real op code is max(deprecated_builtin_code, builtin_code)
  (``schema_utils.cc`` GetBuiltinCode); we write 127 (PLACEHOLDER_FOR_GREATER_OP_CODES) in the
  deprecated field for codes above 127, as the converter does.
* Buffers past the 2 GB flatbuffer limit live after the flatbuffer, named by ``Buffer.offset``
  / ``Buffer.size`` (offset > 1 means external, relative to the start of the file;
  ``flatbuffer_export.cc`` and ``interpreter_builder.cc``).
* Constant data is 16-byte aligned in the file (the converter's ``ForceVectorAlignment(16)``).

The reader checks every index, length and offset against the byte string, so a damaged file
raises ``ModelFormatError`` naming the file and the problem; it never allocates more than the
file's size. Tensor data are read-only NumPy views into the file's bytes (no copies).
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Union

import flatbuffers
import numpy as np
import tflite

from . import dtypes, schema
from .errors import EdgeQuantError, ModelFormatError
from .ir import Model, Operator, QuantParams, SignatureDef, Subgraph, Tensor

log = logging.getLogger(__name__)

FILE_IDENTIFIER = b"TFL3"
# Above this many bytes of constant data, buffers go after the flatbuffer (offset/size layout).
# Flatbuffers address at most 2**31 bytes; keep a margin for the graph itself.
EXTERNAL_BUFFER_THRESHOLD = 2**31 - 2**27
_ALIGN = 16

PathOrBytes = Union[str, os.PathLike, bytes, bytearray, memoryview]


class OverwriteError(EdgeQuantError, FileExistsError):
    """save() was asked to write over the file the model was read from."""


# ===================================================================== reading ===============
class _Reader:
    def __init__(self, buf: bytes, label: str):
        self.buf = buf
        self.label = label
        self.np = np.frombuffer(buf, dtype=np.uint8)

    def fail(self, msg: str) -> ModelFormatError:
        return ModelFormatError(f"{self.label}: {msg}")

    def count(self, n: int, what: str, elem_size: int = 4) -> int:
        # Every vector element takes at least elem_size bytes in the file, so a longer vector
        # is a corrupt length field; checking first bounds every loop by the file size.
        if n < 0 or n * elem_size > len(self.buf):
            raise self.fail(f"{what} claims {n} entries, more than a {len(self.buf)}-byte file "
                            "can hold")
        return n

    def ints(self, arr: Any) -> np.ndarray:
        return np.zeros(0, np.int32) if isinstance(arr, int) else np.asarray(arr)

    def string(self, s: bytes | None) -> str:
        return "" if s is None else s.decode("utf-8", "surrogateescape")

    # -- model -------------------------------------------------------------------------------
    def model(self) -> Model:
        buf = self.buf
        if len(buf) < 8:
            raise self.fail(f"file is {len(buf)} bytes, too short to be a .tflite model")
        ident = bytes(buf[4:8])
        if ident != FILE_IDENTIFIER:
            raise self.fail(f"not a TFLite flatbuffer: file identifier is {ident!r}, expected "
                            f"{FILE_IDENTIFIER!r}")
        root = int.from_bytes(buf[0:4], "little")
        if root + 4 > len(buf):
            raise self.fail(f"root table offset {root} is past the end of the {len(buf)}-byte file")
        m = tflite.Model.GetRootAs(buf, 0)
        self.buffers = self.read_buffers(m)
        opcodes = [self.opcode(m.OperatorCodes(i), i)
                   for i in range(self.count(m.OperatorCodesLength(), "operator_codes"))]
        model = Model(version=m.Version(), description=self.string(m.Description()))
        raw_sgs = [m.Subgraphs(i) for i in range(self.count(m.SubgraphsLength(), "subgraphs"))]
        if not raw_sgs:
            raise self.fail("model has no subgraphs")
        model.subgraphs = [Subgraph() for _ in raw_sgs]
        for i, (sg, raw) in enumerate(zip(model.subgraphs, raw_sgs)):
            self.subgraph(sg, raw, i, opcodes, model.subgraphs)
        for i in range(self.count(m.MetadataLength(), "metadata")):
            md = m.Metadata(i)
            name = self.string(md.Name())
            model.metadata[name] = bytes(self.buffer_bytes(md.Buffer(), f"metadata {name!r}"))
        for i in range(self.count(m.SignatureDefsLength(), "signature_defs")):
            model.signature_defs.append(self.signature(m.SignatureDefs(i), model.subgraphs))
        return model

    def read_buffers(self, m: Any) -> list[np.ndarray]:
        out = []
        for i in range(self.count(m.BuffersLength(), "buffers")):
            b = m.Buffers(i)
            offset, size = b.Offset(), b.Size()
            if offset > 1:
                if offset + size > len(self.buf):
                    raise self.fail(f"buffer {i} lies at bytes {offset}..{offset + size}, past "
                                    f"the end of the {len(self.buf)}-byte file")
                out.append(self.np[offset:offset + size])
            else:
                data = b.DataAsNumpy()
                out.append(self.np[:0] if isinstance(data, int) else data)
        return out

    def buffer_bytes(self, index: int, what: str) -> np.ndarray:
        if not 0 <= index < len(self.buffers):
            raise self.fail(f"{what} refers to buffer {index}; the model has "
                            f"{len(self.buffers)} buffers")
        return self.buffers[index]

    def opcode(self, oc: Any, i: int) -> tuple[str, int, str | None, int]:
        code = max(int(oc.DeprecatedBuiltinCode()), int(oc.BuiltinCode()))
        custom = oc.CustomCode()
        return (schema.op_name(code), code, None if custom is None else self.string(custom),
                int(oc.Version()))

    # -- subgraph ----------------------------------------------------------------------------
    def subgraph(self, sg: Subgraph, raw: Any, sg_index: int, opcodes: list,
                 subgraphs: list[Subgraph]) -> None:
        sg.name = self.string(raw.Name())
        where = f"subgraph {sg_index}"
        sg.tensors = [self.tensor(raw.Tensors(i), f"{where} tensor {i}")
                      for i in range(self.count(raw.TensorsLength(), f"{where} tensors"))]

        def tensor_ref(idx: int, what: str, optional: bool) -> Tensor | None:
            if idx == -1 and optional:
                return None
            if not 0 <= idx < len(sg.tensors):
                raise self.fail(f"{what} refers to tensor {idx}; {where} has "
                                f"{len(sg.tensors)} tensors")
            return sg.tensors[idx]

        sg.inputs = [tensor_ref(int(i), f"{where} input", False)
                     for i in self.ints(raw.InputsAsNumpy())]
        sg.outputs = [tensor_ref(int(i), f"{where} output", False)
                      for i in self.ints(raw.OutputsAsNumpy())]
        for k in range(self.count(raw.OperatorsLength(), f"{where} operators")):
            sg.operators.append(self.operator(raw.Operators(k), f"{where} op {k}", opcodes,
                                              tensor_ref, subgraphs))

    def tensor(self, t: Any, where: str) -> Tensor:
        name = self.string(t.Name())
        shape = tuple(int(d) for d in self.ints(t.ShapeAsNumpy()))
        sig = None if t.ShapeSignatureIsNone() else tuple(
            int(d) for d in self.ints(t.ShapeSignatureAsNumpy()))
        dtype = dtypes.type_name(int(t.Type()))
        tensor = Tensor(name=name, shape=shape, dtype=dtype, shape_signature=sig,
                        is_variable=bool(t.IsVariable()), has_rank=bool(t.HasRank()))
        if any(d < -1 for d in shape):
            raise self.fail(f"{where} ({name!r}) has a negative dimension in shape {list(shape)}")
        q = t.Quantization()
        if q is not None:
            tensor.quantization = self.quant(q, where, name)
        sp = t.Sparsity()
        if sp is not None:
            tensor.sparsity = self.sparsity(sp, where)
        if not t.VariantTensorsIsNone():
            tensor.variant_tensors = []
            for i in range(self.count(t.VariantTensorsLength(), f"{where} variant_tensors")):
                v = t.VariantTensors(i)
                tensor.variant_tensors.append({
                    "shape": tuple(int(d) for d in self.ints(v.ShapeAsNumpy())),
                    "dtype": dtypes.type_name(int(v.Type())), "has_rank": bool(v.HasRank())})
        raw = self.buffer_bytes(int(t.Buffer()), f"{where} ({name!r})")
        if raw.size:
            tensor.data = self.constant(raw, tensor, where)
        return tensor

    def constant(self, raw: np.ndarray, t: Tensor, where: str) -> np.ndarray:
        if any(d < 0 for d in t.shape):
            raise self.fail(f"{where} ({t.name!r}) is a constant with unknown shape "
                            f"{list(t.shape)}")
        count = int(np.prod(t.shape, dtype=np.int64))
        if t.dtype == "int4":
            if t.sparsity is None and raw.size != (count + 1) // 2:
                raise self.fail(f"{where} ({t.name!r}): int4 shape {list(t.shape)} needs "
                                f"{(count + 1) // 2} bytes, buffer has {raw.size}")
            vals = dtypes.unpack_int4(raw, raw.size * 2 if t.sparsity else count)
            return vals if t.sparsity else vals.reshape(t.shape)
        npdt = dtypes.to_numpy(t.dtype)
        if npdt is None:  # string, resource, sub-byte and fp8 types: raw bytes
            return raw
        if t.sparsity is not None:  # values only; shape is the dense one
            if raw.size % npdt.itemsize:
                raise self.fail(f"{where} ({t.name!r}): sparse buffer of {raw.size} bytes is not "
                                f"a whole number of {t.dtype} values")
            return raw.view(npdt)
        if raw.size != count * npdt.itemsize:
            raise self.fail(f"{where} ({t.name!r}): shape {list(t.shape)} of {t.dtype} needs "
                            f"{count * npdt.itemsize} bytes, buffer has {raw.size}")
        return raw.view(npdt).reshape(t.shape)

    def quant(self, q: Any, where: str, name: str) -> QuantParams | None:
        def floats(a: Any) -> np.ndarray | None:
            return None if isinstance(a, int) else np.array(a, dtype=np.float32)

        qp = QuantParams(scale=floats(q.ScaleAsNumpy()), min=floats(q.MinAsNumpy()),
                         max=floats(q.MaxAsNumpy()),
                         quantized_dimension=int(q.QuantizedDimension()))
        zp = q.ZeroPointAsNumpy()
        qp.zero_point = None if isinstance(zp, int) else np.array(zp, dtype=np.int64)
        if q.DetailsType() == tflite.QuantizationDetails.CustomQuantization:
            tab = q.Details()
            cq = tflite.CustomQuantization()
            cq.Init(tab.Bytes, tab.Pos)
            c = cq.CustomAsNumpy()
            qp.custom = b"" if isinstance(c, int) else c.tobytes()
        if (qp.scale is not None and qp.zero_point is not None
                and qp.zero_point.size not in (0, qp.scale.size)):
            raise self.fail(f"{where} ({name!r}): {qp.scale.size} scales but "
                            f"{qp.zero_point.size} zero points")
        return None if qp.is_empty else qp

    def sparsity(self, sp: Any, where: str) -> dict[str, Any]:
        dims = []
        for i in range(self.count(sp.DimMetadataLength(), f"{where} sparsity")):
            d = sp.DimMetadata(i)
            dims.append({"format": int(d.Format()), "dense_size": int(d.DenseSize()),
                         "array_segments": self.index_vector(d.ArraySegmentsType(),
                                                             d.ArraySegments()),
                         "array_indices": self.index_vector(d.ArrayIndicesType(),
                                                            d.ArrayIndices())})
        return {"traversal_order": self.ints(sp.TraversalOrderAsNumpy()).tolist(),
                "block_map": self.ints(sp.BlockMapAsNumpy()).tolist(), "dim_metadata": dims}

    def index_vector(self, kind: int, tab: Any) -> tuple[str, list[int]] | None:
        names = {1: "Int32Vector", 2: "Uint16Vector", 3: "Uint8Vector"}
        if kind not in names or tab is None:
            return None
        obj = getattr(tflite, names[kind])()
        obj.Init(tab.Bytes, tab.Pos)
        return names[kind], self.ints(obj.ValuesAsNumpy()).tolist()

    # -- operator ----------------------------------------------------------------------------
    def operator(self, o: Any, where: str, opcodes: list, tensor_ref: Any,
                 subgraphs: list[Subgraph]) -> Operator:
        idx = int(o.OpcodeIndex())
        if not 0 <= idx < len(opcodes):
            raise self.fail(f"{where} uses opcode {idx}; the model has {len(opcodes)} opcodes")
        name, code, custom, version = opcodes[idx]
        where = f"{where} ({name})"
        op = Operator(type=name, version=version, custom_code=custom,
                      builtin_code=code if name.startswith("BUILTIN_") else None)
        op.inputs = [tensor_ref(int(i), f"{where} input", True)
                     for i in self.ints(o.InputsAsNumpy())]
        op.outputs = [tensor_ref(int(i), f"{where} output", True)
                      for i in self.ints(o.OutputsAsNumpy())]
        op.intermediates = [tensor_ref(int(i), f"{where} intermediate", False)
                            for i in self.ints(o.IntermediatesAsNumpy())]
        if not o.MutatingVariableInputsIsNone():
            op.mutating_variable_inputs = [
                bool(b) for b in self.ints(o.MutatingVariableInputsAsNumpy())]
        op.options_type, op.options = self.options(o.BuiltinOptionsType(), o.BuiltinOptions(),
                                                   where, False, subgraphs)
        op.options2_type, op.options2 = self.options(o.BuiltinOptions2Type(),
                                                     o.BuiltinOptions2(), where, True, subgraphs)
        if not o.CustomOptionsIsNone():
            op.custom_options = o.CustomOptionsAsNumpy().tobytes()
        elif o.LargeCustomOptionsSize() > 0:
            off, size = int(o.LargeCustomOptionsOffset()), int(o.LargeCustomOptionsSize())
            if off + size > len(self.buf):
                raise self.fail(f"{where}: custom options at bytes {off}..{off + size} lie past "
                                "the end of the file")
            op.custom_options = bytes(self.buf[off:off + size])
        op.custom_options_format = int(o.CustomOptionsFormat())
        return op

    def options(self, kind: int, tab: Any, where: str, second: bool,
                subgraphs: list[Subgraph]) -> tuple[str | None, dict[str, Any]]:
        if not kind:
            return None, {}
        name = schema.union_name(kind, second)
        if name is None:
            raise self.fail(f"{where} has options table type {kind}, unknown to this schema")
        if tab is None:
            return name, schema.default_options(name)
        opts = schema.decode_options(name, tab)
        for key, value in opts.items():
            if key.endswith("subgraph_index") and isinstance(value, int):
                if not 0 <= value < len(subgraphs):
                    raise self.fail(f"{where}: {key} = {value}, but the model has "
                                    f"{len(subgraphs)} subgraphs")
                opts[key] = subgraphs[value]
        return name, opts

    def signature(self, s: Any, subgraphs: list[Subgraph]) -> SignatureDef:
        key = self.string(s.SignatureKey())
        si = int(s.SubgraphIndex())
        if not 0 <= si < len(subgraphs):
            raise self.fail(f"signature {key!r} refers to subgraph {si}; the model has "
                            f"{len(subgraphs)}")
        sg = subgraphs[si]
        sig = SignatureDef(key=key, subgraph=sg)
        for target, n, get in ((sig.inputs, s.InputsLength(), s.Inputs),
                               (sig.outputs, s.OutputsLength(), s.Outputs)):
            for i in range(self.count(n, f"signature {key!r}")):
                tm = get(i)
                ti = int(tm.TensorIndex())
                if not 0 <= ti < len(sg.tensors):
                    raise self.fail(f"signature {key!r} refers to tensor {ti}; subgraph {si} "
                                    f"has {len(sg.tensors)}")
                target[self.string(tm.Name())] = sg.tensors[ti]
        return sig


def load(src: PathOrBytes, *, label: str | None = None) -> Model:
    """Read a ``.tflite`` model from a path or from bytes.

    Raises ``ModelFormatError`` (naming the file and the problem) for anything that is not a
    well-formed TFLite flatbuffer, and ``FileNotFoundError`` for a missing path.
    """
    path: str | None = None
    if isinstance(src, (bytes, bytearray, memoryview)):
        buf = bytes(src)
        label = label or "<model bytes>"
    else:
        path = os.fspath(src)
        buf = Path(path).read_bytes()
        label = label or path
    reader = _Reader(buf, label)
    try:
        model = reader.model()
    except ModelFormatError:
        raise
    except Exception as exc:
        # The generated readers index the bytes directly; any failure inside them means the
        # flatbuffer's offsets point somewhere they cannot.
        raise ModelFormatError(f"{label}: malformed flatbuffer ({type(exc).__name__}: {exc})") \
            from exc
    model.source_path = path
    return model


# ===================================================================== writing ===============
class _Writer:
    def __init__(self, model: Model, threshold: int, defer_data: bool = False):
        self.model = model
        self.threshold = threshold
        # With defer_data, build() leaves constant data out of the flatbuffer (zeros in its
        # place) and records where it goes, so save() can write it straight from the arrays:
        # one copy of the weights fewer, which is most of the cost for big models.
        self.defer_data = defer_data
        self.holes: list[tuple[int, memoryview | bytes]] = []  # (offset from the end, data)

    def plan(self) -> None:
        """Assign indices: opcodes, buffers (deduplicated by identity of the data), tensors."""
        m = self.model
        self.opcodes: dict[tuple, int] = {}
        self.buffers: list[memoryview | bytes] = [b""]
        self.buffer_of: dict[int, int] = {}  # id(tensor) -> buffer index
        self.tensor_index: list[dict[int, int]] = []
        self.tensors: list[list[Tensor]] = []
        shared: dict[tuple, int] = {}
        for sg in m.subgraphs:
            ts = list(sg.all_tensors())
            self.tensors.append(ts)
            self.tensor_index.append({id(t): i for i, t in enumerate(ts)})
            for t in ts:
                if t.data is None:
                    continue
                key, payload = self.payload(t)
                if key is not None and key in shared:
                    self.buffer_of[id(t)] = shared[key]
                    continue
                self.buffers.append(payload)
                self.buffer_of[id(t)] = len(self.buffers) - 1
                if key is not None:
                    shared[key] = len(self.buffers) - 1
            for op in sg.operators:
                k = self.opcode_key(op)
                self.opcodes.setdefault(k, len(self.opcodes))
        self.metadata_buffer: dict[str, int] = {}
        for name, blob in m.metadata.items():
            self.buffers.append(bytes(blob))
            self.metadata_buffer[name] = len(self.buffers) - 1

    @staticmethod
    def opcode_key(op: Operator) -> tuple:
        code = op.builtin_code if op.builtin_code is not None else schema.op_code(op.type)
        return (code, op.custom_code, int(op.version))

    @staticmethod
    def payload(t: Tensor) -> tuple[tuple | None, memoryview]:
        data = t.data
        assert data is not None
        if t.dtype == "int4":
            return None, memoryview(dtypes.pack_int4(np.asarray(data)))
        npdt = dtypes.to_numpy(t.dtype)
        if npdt is None:
            npdt = np.dtype(np.uint8)
        if data.dtype != npdt:
            raise ValueError(f"tensor {t.name!r}: data is {data.dtype}, but the tensor's dtype "
                             f"is {t.dtype}")
        if t.sparsity is None and dtypes.to_numpy(t.dtype) is not None:
            expect = int(np.prod(t.shape, dtype=np.int64))
            if data.size != expect:
                raise ValueError(f"tensor {t.name!r}: data has {data.size} elements, shape "
                                 f"{list(t.shape)} needs {expect}")
        arr = np.ascontiguousarray(data)
        if arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        # Arrays that view the same memory (tensors that shared a buffer when read) share again.
        key = (arr.__array_interface__["data"][0], arr.nbytes, arr.dtype.str) \
            if arr is data else None
        return key, memoryview(arr).cast("B") if arr.nbytes else memoryview(b"")

    # -- building ----------------------------------------------------------------------------
    def build(self, external: dict[int, tuple[int, int]] | None) -> memoryview:
        total = sum(len(b) for b in self.buffers) if external is None else 0
        size = min(total + 2**20 + 16 * len(self.buffers), flatbuffers.Builder.MAX_BUFFER_SIZE)
        b = flatbuffers.Builder(0)
        # bytearray(n) writes n zeros up front; np.zeros maps zero pages lazily, so space that
        # deferred weights only reserve is never touched (0.1-0.4 s per 200 MB here).
        b.Bytes = memoryview(np.zeros(size, dtype=np.uint8))
        b.head = size
        # Data first: it ends up at the end of the file, after the graph.
        buf_offsets = []
        for i, payload in enumerate(self.buffers):
            data_off = None
            if external is None and len(payload):
                n = len(payload)
                b.StartVector(1, n, _ALIGN)
                b.head = b.head - n
                if self.defer_data:
                    self.holes.append((len(b.Bytes) - b.head, payload))
                else:
                    b.Bytes[b.head:b.head + n] = payload
                b.vectorNumElems = n
                data_off = b.EndVector()
            tflite.BufferStart(b)
            if data_off is not None:
                tflite.BufferAddData(b, data_off)
            if external is not None and i in external:
                tflite.BufferAddOffset(b, external[i][0])
                tflite.BufferAddSize(b, external[i][1])
            buf_offsets.append(tflite.BufferEnd(b))
        buffers_vec = self.offsets_vector(b, tflite.ModelStartBuffersVector, buf_offsets)

        opcode_offsets = []
        for (code, custom, version) in self.opcodes:
            cc = b.CreateString(custom.encode("utf-8", "surrogateescape")) \
                if custom is not None else None
            tflite.OperatorCodeStart(b)
            tflite.OperatorCodeAddDeprecatedBuiltinCode(
                b, min(code, schema.PLACEHOLDER_FOR_GREATER_OP_CODES))
            tflite.OperatorCodeAddBuiltinCode(b, code)
            tflite.OperatorCodeAddVersion(b, version)
            if cc is not None:
                tflite.OperatorCodeAddCustomCode(b, cc)
            opcode_offsets.append(tflite.OperatorCodeEnd(b))
        opcodes_vec = self.offsets_vector(b, tflite.ModelStartOperatorCodesVector,
                                          opcode_offsets)

        sg_offsets = [self.subgraph(b, i, sg) for i, sg in enumerate(self.model.subgraphs)]
        subgraphs_vec = self.offsets_vector(b, tflite.ModelStartSubgraphsVector, sg_offsets)

        md_offsets = []
        for name, bi in self.metadata_buffer.items():
            n = b.CreateString(name.encode("utf-8", "surrogateescape"))
            tflite.MetadataStart(b)
            tflite.MetadataAddName(b, n)
            tflite.MetadataAddBuffer(b, bi)
            md_offsets.append(tflite.MetadataEnd(b))
        md_vec = self.offsets_vector(b, tflite.ModelStartMetadataVector, md_offsets) \
            if md_offsets else None

        sig_offsets = [self.signature(b, s) for s in self.model.signature_defs]
        sig_vec = self.offsets_vector(b, tflite.ModelStartSignatureDefsVector, sig_offsets) \
            if sig_offsets else None
        desc = b.CreateString(self.model.description.encode("utf-8", "surrogateescape"))

        tflite.ModelStart(b)
        tflite.ModelAddVersion(b, self.model.version)
        tflite.ModelAddOperatorCodes(b, opcodes_vec)
        tflite.ModelAddSubgraphs(b, subgraphs_vec)
        tflite.ModelAddDescription(b, desc)
        tflite.ModelAddBuffers(b, buffers_vec)
        if md_vec is not None:
            tflite.ModelAddMetadata(b, md_vec)
        if sig_vec is not None:
            tflite.ModelAddSignatureDefs(b, sig_vec)
        b.Finish(tflite.ModelEnd(b), file_identifier=FILE_IDENTIFIER)
        # A view, not Output(): for big models every copy of the data costs ~0.1 s per 200 MB.
        return memoryview(b.Bytes)[b.Head():]

    @staticmethod
    def offsets_vector(b: flatbuffers.Builder, start: Any, offsets: list[int]) -> int:
        start(b, len(offsets))
        for off in reversed(offsets):
            b.PrependUOffsetTRelative(off)
        return b.EndVector()

    @staticmethod
    def int_vector(b: flatbuffers.Builder, values: Any, dtype: Any = np.int32) -> int:
        return b.CreateNumpyVector(np.asarray(values, dtype=dtype).ravel())

    def subgraph(self, b: flatbuffers.Builder, si: int, sg: Subgraph) -> int:
        index = self.tensor_index[si]
        t_offsets = [self.tensor(b, t) for t in self.tensors[si]]
        tensors_vec = self.offsets_vector(b, tflite.SubGraphStartTensorsVector, t_offsets)

        def ref(t: Tensor | None, what: str) -> int:
            if t is None:
                return -1
            return index[id(t)]

        op_offsets = [self.operator(b, op, ref) for op in sg.operators]
        ops_vec = self.offsets_vector(b, tflite.SubGraphStartOperatorsVector, op_offsets)
        ins = self.int_vector(b, [ref(t, "input") for t in sg.inputs])
        outs = self.int_vector(b, [ref(t, "output") for t in sg.outputs])
        name = b.CreateString(sg.name.encode("utf-8", "surrogateescape"))
        tflite.SubGraphStart(b)
        tflite.SubGraphAddTensors(b, tensors_vec)
        tflite.SubGraphAddInputs(b, ins)
        tflite.SubGraphAddOutputs(b, outs)
        tflite.SubGraphAddOperators(b, ops_vec)
        tflite.SubGraphAddName(b, name)
        return tflite.SubGraphEnd(b)

    def tensor(self, b: flatbuffers.Builder, t: Tensor) -> int:
        shape = self.int_vector(b, t.shape)
        sig = self.int_vector(b, t.shape_signature) if t.shape_signature is not None else None
        name = b.CreateString(t.name.encode("utf-8", "surrogateescape"))
        quant = self.quant(b, t.quantization) if t.quantization is not None else None
        sparsity = self.sparsity(b, t.sparsity) if t.sparsity is not None else None
        variants = None
        if t.variant_tensors is not None:
            offs = []
            for v in t.variant_tensors:
                vs = self.int_vector(b, v["shape"])
                tflite.VariantSubTypeStart(b)
                tflite.VariantSubTypeAddShape(b, vs)
                tflite.VariantSubTypeAddType(b, dtypes.type_code(v["dtype"]))
                tflite.VariantSubTypeAddHasRank(b, bool(v["has_rank"]))
                offs.append(tflite.VariantSubTypeEnd(b))
            variants = self.offsets_vector(b, tflite.TensorStartVariantTensorsVector, offs)
        tflite.TensorStart(b)
        tflite.TensorAddShape(b, shape)
        tflite.TensorAddType(b, dtypes.type_code(t.dtype))
        tflite.TensorAddBuffer(b, self.buffer_of.get(id(t), 0))
        tflite.TensorAddName(b, name)
        if quant is not None:
            tflite.TensorAddQuantization(b, quant)
        tflite.TensorAddIsVariable(b, bool(t.is_variable))
        if sparsity is not None:
            tflite.TensorAddSparsity(b, sparsity)
        if sig is not None:
            tflite.TensorAddShapeSignature(b, sig)
        tflite.TensorAddHasRank(b, bool(t.has_rank))
        if variants is not None:
            tflite.TensorAddVariantTensors(b, variants)
        return tflite.TensorEnd(b)

    def quant(self, b: flatbuffers.Builder, q: QuantParams) -> int:
        vecs = {}
        for key, dt in (("min", np.float32), ("max", np.float32), ("scale", np.float32),
                        ("zero_point", np.int64)):
            v = getattr(q, key)
            if v is not None:
                vecs[key] = b.CreateNumpyVector(np.asarray(v, dtype=dt).ravel())
        details = None
        if q.custom is not None:
            c = b.CreateNumpyVector(np.frombuffer(q.custom, dtype=np.uint8))
            tflite.CustomQuantizationStart(b)
            tflite.CustomQuantizationAddCustom(b, c)
            details = tflite.CustomQuantizationEnd(b)
        tflite.QuantizationParametersStart(b)
        if "min" in vecs:
            tflite.QuantizationParametersAddMin(b, vecs["min"])
        if "max" in vecs:
            tflite.QuantizationParametersAddMax(b, vecs["max"])
        if "scale" in vecs:
            tflite.QuantizationParametersAddScale(b, vecs["scale"])
        if "zero_point" in vecs:
            tflite.QuantizationParametersAddZeroPoint(b, vecs["zero_point"])
        if details is not None:
            tflite.QuantizationParametersAddDetailsType(
                b, tflite.QuantizationDetails.CustomQuantization)
            tflite.QuantizationParametersAddDetails(b, details)
        tflite.QuantizationParametersAddQuantizedDimension(b, int(q.quantized_dimension))
        return tflite.QuantizationParametersEnd(b)

    def sparsity(self, b: flatbuffers.Builder, sp: dict[str, Any]) -> int:
        dims = []
        for d in sp.get("dim_metadata", []):
            seg = self.index_vector(b, d.get("array_segments"))
            idx = self.index_vector(b, d.get("array_indices"))
            tflite.DimensionMetadataStart(b)
            tflite.DimensionMetadataAddFormat(b, int(d["format"]))
            tflite.DimensionMetadataAddDenseSize(b, int(d["dense_size"]))
            if seg is not None:
                tflite.DimensionMetadataAddArraySegmentsType(b, seg[0])
                tflite.DimensionMetadataAddArraySegments(b, seg[1])
            if idx is not None:
                tflite.DimensionMetadataAddArrayIndicesType(b, idx[0])
                tflite.DimensionMetadataAddArrayIndices(b, idx[1])
            dims.append(tflite.DimensionMetadataEnd(b))
        dims_vec = self.offsets_vector(b, tflite.SparsityParametersStartDimMetadataVector, dims)
        order = self.int_vector(b, sp.get("traversal_order", []))
        bmap = self.int_vector(b, sp.get("block_map", []))
        tflite.SparsityParametersStart(b)
        tflite.SparsityParametersAddTraversalOrder(b, order)
        tflite.SparsityParametersAddBlockMap(b, bmap)
        tflite.SparsityParametersAddDimMetadata(b, dims_vec)
        return tflite.SparsityParametersEnd(b)

    def index_vector(self, b: flatbuffers.Builder, v: tuple[str, list[int]] | None
                     ) -> tuple[int, int] | None:
        if v is None:
            return None
        kind, values = v
        codes = {"Int32Vector": (1, np.int32), "Uint16Vector": (2, np.uint16),
                 "Uint8Vector": (3, np.uint8)}
        code, dt = codes[kind]
        vals = self.int_vector(b, values, dt)
        getattr(tflite, f"{kind}Start")(b)
        getattr(tflite, f"{kind}AddValues")(b, vals)
        return code, getattr(tflite, f"{kind}End")(b)

    def operator(self, b: flatbuffers.Builder, op: Operator, ref: Any) -> int:
        ins = self.int_vector(b, [ref(t, "op input") for t in op.inputs])
        outs = self.int_vector(b, [ref(t, "op output") for t in op.outputs])
        inter = self.int_vector(b, [ref(t, "op intermediate") for t in op.intermediates]) \
            if op.intermediates else None
        mut = b.CreateNumpyVector(np.asarray(op.mutating_variable_inputs, dtype=np.bool_)) \
            if op.mutating_variable_inputs is not None else None
        opts = self.options(b, op.options_type, op.options) if op.options_type else None
        opts2 = self.options(b, op.options2_type, op.options2) if op.options2_type else None
        custom = b.CreateNumpyVector(np.frombuffer(op.custom_options, dtype=np.uint8)) \
            if op.custom_options is not None else None
        tflite.OperatorStart(b)
        tflite.OperatorAddOpcodeIndex(b, self.opcodes[self.opcode_key(op)])
        tflite.OperatorAddInputs(b, ins)
        tflite.OperatorAddOutputs(b, outs)
        if opts is not None:
            tflite.OperatorAddBuiltinOptionsType(b, schema.union_code(op.options_type))
            tflite.OperatorAddBuiltinOptions(b, opts)
        if custom is not None:
            tflite.OperatorAddCustomOptions(b, custom)
        tflite.OperatorAddCustomOptionsFormat(b, op.custom_options_format)
        if mut is not None:
            tflite.OperatorAddMutatingVariableInputs(b, mut)
        if inter is not None:
            tflite.OperatorAddIntermediates(b, inter)
        if opts2 is not None:
            tflite.OperatorAddBuiltinOptions2Type(b, schema.union_code(op.options2_type, True))
            tflite.OperatorAddBuiltinOptions2(b, opts2)
        return tflite.OperatorEnd(b)

    def options(self, b: flatbuffers.Builder, name: str, opts: dict[str, Any]) -> int:
        plain = {}
        for k, v in opts.items():
            if isinstance(v, Subgraph):
                v = self.model.subgraph_index(v)
            plain[k] = v
        return schema.encode_options(b, name, plain)

    def signature(self, b: flatbuffers.Builder, s: SignatureDef) -> int:
        si = self.model.subgraph_index(s.subgraph)
        index = self.tensor_index[si]

        def maps(items: dict[str, Tensor], start: Any) -> int:
            offs = []
            for name, t in items.items():
                if id(t) not in index:
                    raise ValueError(f"signature {s.key!r}: tensor {t.name!r} is not in "
                                     f"subgraph {si}")
                n = b.CreateString(name.encode("utf-8", "surrogateescape"))
                tflite.TensorMapStart(b)
                tflite.TensorMapAddName(b, n)
                tflite.TensorMapAddTensorIndex(b, index[id(t)])
                offs.append(tflite.TensorMapEnd(b))
            return self.offsets_vector(b, start, offs)

        ins = maps(s.inputs, tflite.SignatureDefStartInputsVector)
        outs = maps(s.outputs, tflite.SignatureDefStartOutputsVector)
        key = b.CreateString(s.key.encode("utf-8", "surrogateescape"))
        tflite.SignatureDefStart(b)
        tflite.SignatureDefAddInputs(b, ins)
        tflite.SignatureDefAddOutputs(b, outs)
        tflite.SignatureDefAddSignatureKey(b, key)
        tflite.SignatureDefAddSubgraphIndex(b, si)
        return tflite.SignatureDefEnd(b)

    def write(self) -> list[memoryview | bytes | bytearray]:
        """The file as a list of chunks to concatenate."""
        self.plan()
        total = sum(len(p) for p in self.buffers)
        if total <= self.threshold:
            graph = self.build(None)
            chunks: list[memoryview | bytes | bytearray] = []
            pos = 0
            for end_off, payload in sorted(self.holes, key=lambda h: -h[0]):
                start = len(graph) - end_off
                chunks += [graph[pos:start], payload]
                pos = start + len(payload)
            return chunks + [graph[pos:]]
        # Two passes: the graph with placeholder offsets tells us where the data will start;
        # offsets are fixed-width uint64 fields, so the second pass has the same length.
        ext_idx = [i for i, p in enumerate(self.buffers) if len(p)]
        first = self.build({i: (2, len(self.buffers[i])) for i in ext_idx})
        pos = _align(len(first))
        layout: dict[int, tuple[int, int]] = {}
        for i in ext_idx:
            layout[i] = (pos, len(self.buffers[i]))
            pos = _align(pos + len(self.buffers[i]))
        graph = self.build(layout)
        assert len(graph) == len(first)
        out = bytearray(pos)
        out[:len(graph)] = graph
        for i in ext_idx:
            off, size = layout[i]
            out[off:off + size] = self.buffers[i]
        return [out]


def _align(n: int) -> int:
    return (n + _ALIGN - 1) // _ALIGN * _ALIGN


def to_bytes(model: Model, *, external_threshold: int | None = None) -> bytes:
    """Serialise ``model`` to ``.tflite`` bytes. Deterministic: the same model gives the same
    bytes. Constant data above ``external_threshold`` bytes in total (default: just under the
    2 GB flatbuffer limit) is placed after the flatbuffer with Buffer.offset/size."""
    (chunk,) = _serialize(model, external_threshold, defer_data=False)
    return bytes(chunk)


def _serialize(model: Model, external_threshold: int | None, defer_data: bool
               ) -> list[memoryview | bytes | bytearray]:
    thr = EXTERNAL_BUFFER_THRESHOLD if external_threshold is None else external_threshold
    return _Writer(model, thr, defer_data).write()


def save(model: Model, path: str | os.PathLike, *, overwrite_source: bool = False,
         external_threshold: int | None = None) -> None:
    """Write ``model`` to ``path`` atomically (temporary file, then rename).

    Refuses to replace the file the model was read from unless ``overwrite_source`` is set:
    the tensors of a loaded model are views into that file's bytes.
    """
    path = os.fspath(path)
    if model.source_path and not overwrite_source and os.path.exists(path) \
            and os.path.exists(model.source_path) and os.path.samefile(path, model.source_path):
        raise OverwriteError(f"{path}: refusing to overwrite the model's own source file; pass "
                             "overwrite_source=True or choose another output path")
    write_atomic(path, _serialize(model, external_threshold, defer_data=True))


def write_atomic(path: str | os.PathLike,
                 data: bytes | bytearray | memoryview | list[bytes | bytearray | memoryview]
                 ) -> None:
    """Write ``data`` (or the concatenation of a list of chunks) to ``path`` via a temporary
    file in the same folder and a rename, so a reader never sees a half-written file and a
    failure leaves the old file untouched."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".edgequant-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in data if isinstance(data, list) else [data]:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    log.debug("wrote %s", path)
