"""Reads a saved `.mlpackage`'s spec (works on Linux): version, I/O, states, metadata, MIL op and weight types."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from .common import ConvertError, coreml_io

def _dtype_names() -> dict:
    from coremltools.proto import MIL_pb2

    return {v: k.lower() for k, v in MIL_pb2.DataType.items()}


def _ops(block, counter: Counter, weights: Counter, names: dict) -> None:
    for op in block.operations:
        counter[op.type] += 1
        if op.type == "const" or op.type.startswith("constexpr_"):
            for out in op.outputs:
                t = out.type.WhichOneof("type")
                if t == "tensorType":
                    weights[f"{op.type}:{names.get(out.type.tensorType.dataType, out.type.tensorType.dataType)}"] += 1
        for b in op.blocks:
            _ops(b, counter, weights, names)


def inspect_package(path: Path) -> dict:
    import coremltools as ct

    if not path.exists():
        raise ConvertError("ERR_RUN_CONVERTER_SOURCE_NOT_FOUND", f"No CoreML package at {path}.", path=str(path))
    spec = ct.utils.load_spec(str(path))
    names = _dtype_names()
    ops: Counter = Counter()
    weights: Counter = Counter()
    if spec.WhichOneof("Type") == "mlProgram":
        for fn in spec.mlProgram.functions.values():
            for block in fn.block_specializations.values():
                _ops(block, ops, weights, names)
    return {
        **coreml_io(path),
        "type": spec.WhichOneof("Type"),
        "metadata": dict(spec.description.metadata.userDefined),
        "ops": dict(ops),
        "constants": dict(weights),
    }
