"""Turns an ONNX model in the QOperator int8 format (QLinearConv, QLinearAdd, QLinearMatMul,
QLinearGlobalAveragePool, QuantizeLinear/DequantizeLinear) into an all-float32 model with the SAME weights:
every int8/uint8 weight becomes (q - zero_point) * scale, and every quantized activation keeps the range its
uint8/int8 type could hold (a Clip to [(qmin - zp) * s, (qmax - zp) * s]; for MobileNetV2 that is its ReLU6),
but is no longer rounded to the grid.

Why: onnxruntime's int8 kernels give different numbers on CPUs with and without AVX-512 VNNI (the ONNX-zoo
MobileNetV2-int8 says "bow tie" instead of "military uniform" for grace_hopper on AVX2). Float32 kernels agree
to ~1e-6 everywhere, so the float model gives the same answer on every x86-64 and ARM CPU.

    python tools/models/scripts/dequantize_qlinear.py IN.onnx OUT.onnx [--float-weights]   (needs onnx, numpy)

By default the weights stay int8 in the file, each behind a DequantizeLinear node (a weights-only QDQ model: the
file is as small as the int8 one, and onnxruntime computes every Conv/Add/MatMul in float32); with
--float-weights they are stored as float32 initializers (4x larger, no DequantizeLinear at all).
"""
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

QRANGE = {np.uint8: (0, 255), np.int8: (-128, 127)}


def per_axis(q: np.ndarray, scale: np.ndarray) -> int:
    """The axis a per-channel scale runs along: 0 for Conv weights, 1 for a MatMul's [K, N] weight."""
    for axis in [0] + list(range(q.ndim - 1, 0, -1)):
        if q.shape[axis] == scale.size:
            return axis
    raise SystemExit(f"no axis of {q.shape} has {scale.size} channels")


def main(src: str, dst: str, float_weights: bool) -> None:
    model = onnx.load(src)
    g = model.graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    used_inits: dict[str, np.ndarray] = {}
    produced: set[str] = set()
    nodes = []

    def const(name: str) -> np.ndarray:
        return inits[name]

    def dq(name: str, scale: str, zp: str) -> str:
        """A float initializer for a quantized initializer (weights, biases)."""
        out = f"{name}__f32"
        q0 = const(name)
        if not float_weights and q0.dtype in (np.int8, np.uint8) and out not in produced:
            # Keep the int8 weight, dequantized by the graph (per-tensor or per-output-channel, axis 0).
            s0 = const(scale).astype(np.float32)
            used_inits[name + "__q"] = q0
            used_inits[scale + "__s"] = s0
            ins = [name + "__q", scale + "__s"]
            if zp:
                used_inits[zp + "__z"] = const(zp)
                ins.append(zp + "__z")
            nodes.append(helper.make_node("DequantizeLinear", ins, [out], **({"axis": per_axis(q0, s0)} if s0.size > 1 else {})))
            produced.add(out)
        if out in produced:
            return out
        if out not in used_inits:
            q = const(name).astype(np.float32)
            s = const(scale).astype(np.float32)
            z = const(zp).astype(np.float32) if zp else np.float32(0)
            if s.size > 1:  # per channel
                shape = [1] * q.ndim
                shape[per_axis(q, s)] = -1
                s, z = s.reshape(shape), np.reshape(z, shape) if np.ndim(z) else z
            used_inits[out] = ((q - z) * s).astype(np.float32)
        return out

    def clip_to_range(x: str, y: str, scale: str, zp: str) -> None:
        """y = clip(x) to the range the quantized type (scale, zero point) could represent."""
        z = const(zp)
        lo, hi = QRANGE[z.dtype.type]
        s = float(const(scale))
        zf = float(z)
        lo_name, hi_name = f"{y}__lo", f"{y}__hi"
        used_inits[lo_name] = np.array((lo - zf) * s, dtype=np.float32)
        used_inits[hi_name] = np.array((hi - zf) * s, dtype=np.float32)
        nodes.append(helper.make_node("Clip", [x, lo_name, hi_name], [y]))

    for n in g.node:
        i, o, t = list(n.input), list(n.output), n.op_type
        if t == "QuantizeLinear":  # float -> quantized: keep float, clip to the representable range
            clip_to_range(i[0], o[0], i[1], i[2] if len(i) > 2 else "")
        elif t == "DequantizeLinear":
            if i[0] in inits:
                nodes.append(helper.make_node("Identity", [dq(i[0], i[1], i[2] if len(i) > 2 else "")], o))
            else:
                nodes.append(helper.make_node("Identity", [i[0]], o))
        elif t == "QLinearConv":
            x, w = i[0], dq(i[3], i[4], i[5])
            ins = [x, w]
            if len(i) > 8 and i[8]:  # int32 bias with scale x_scale * w_scale
                b = const(i[8]).astype(np.float32) * (const(i[1]).astype(np.float32) * const(i[4]).astype(np.float32))
                used_inits[f"{i[8]}__f32"] = b.astype(np.float32)
                ins.append(f"{i[8]}__f32")
            conv_out = f"{o[0]}__conv"
            nodes.append(helper.make_node("Conv", ins, [conv_out], name=n.name, **{a.name: helper.get_attribute_value(a) for a in n.attribute}))
            clip_to_range(conv_out, o[0], i[6], i[7])
        elif t == "QLinearAdd":  # com.microsoft: A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp
            add_out = f"{o[0]}__add"
            a = dq(i[0], i[1], i[2]) if i[0] in inits else i[0]
            b = dq(i[3], i[4], i[5]) if i[3] in inits else i[3]
            nodes.append(helper.make_node("Add", [a, b], [add_out], name=n.name))
            clip_to_range(add_out, o[0], i[6], i[7])
        elif t == "QLinearGlobalAveragePool":  # com.microsoft: X, x_scale, x_zp, y_scale, y_zp
            pool_out = f"{o[0]}__pool"
            nodes.append(helper.make_node("GlobalAveragePool", [i[0]], [pool_out], name=n.name))
            clip_to_range(pool_out, o[0], i[3], i[4])
        elif t == "QLinearMatMul":  # a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp
            b = dq(i[3], i[4], i[5]) if i[3] in inits else i[3]
            mm_out = f"{o[0]}__mm"
            nodes.append(helper.make_node("MatMul", [i[0], b], [mm_out], name=n.name))
            clip_to_range(mm_out, o[0], i[6], i[7])
        elif t.startswith("QLinear") or t in ("ConvInteger", "MatMulInteger", "DynamicQuantizeLinear"):
            raise SystemExit(f"unsupported quantized op {t} ({n.name})")
        elif t in ("Unsqueeze", "Squeeze") and any(a.name == "axes" for a in n.attribute):
            # opset 13 takes axes as an input (13 is needed for per-channel DequantizeLinear).
            axes = next(helper.get_attribute_value(a) for a in n.attribute if a.name == "axes")
            used_inits[f"{o[0]}__axes"] = np.array(axes, dtype=np.int64)
            nodes.append(helper.make_node(t, [i[0], f"{o[0]}__axes"], o, name=n.name))
        elif t in ("ReduceSum", "Split") or (t.startswith("Reduce") and any(a.name == "axes" for a in n.attribute)):
            raise SystemExit(f"{t} would need an opset-13 rewrite ({n.name})")
        else:
            nodes.append(n)

    # Keep the float initializers that non-quantized nodes still read (shapes, reshape targets).
    consumed = {x for n in nodes for x in n.input}
    keep = [t for t in g.initializer if t.name in consumed]
    new_inits = keep + [numpy_helper.from_array(v, k) for k, v in used_inits.items()]
    outputs = []
    for v in g.output:
        dims = [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
        outputs.append(helper.make_tensor_value_info(v.name, onnx.TensorProto.FLOAT, dims))
    graph = helper.make_graph(nodes, g.name, list(g.input), outputs, new_inits)
    out = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="llama-pajamas dequantize_qlinear")
    for p in model.metadata_props:
        out.metadata_props.append(p)
    out.ir_version = 7
    onnx.checker.check_model(out)
    onnx.save(out, dst)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], "--float-weights" in sys.argv[3:])
