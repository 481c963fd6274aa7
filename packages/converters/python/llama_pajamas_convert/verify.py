"""macOS: runs the CoreML packages of a converted folder on its stored parity inputs and compares them with the
PyTorch reference outputs (`parity/reference.npz`), with the same figures and thresholds as the conversion."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from . import parity as P
from .common import MANIFEST_FILE, ConvertError


def verify(folder: Path) -> dict:
    if sys.platform != "darwin":
        raise ConvertError("ERR_RUN_CONVERTER_UNSUPPORTED", "verify runs CoreML predictions, which need macOS.")
    import coremltools as ct

    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    conv = manifest["conversion"]
    ref = np.load(folder / conv["parity"]["reference"])
    quantized = conv.get("quantize") == "int8"
    cu = ct.ComputeUnit.CPU_ONLY
    coreml = conv["runtimes"]["coreml"]
    fam = conv["family"]
    if fam in ("yolo", "hf-classifier"):
        m = ct.models.MLModel(str(folder / coreml["file"]), compute_units=cu)
        name = coreml["inputs"][0]["name"]
        out = coreml["outputs"][0]["name"]
        x = ref[f"input:{name}"]
        got = [m.predict({name: x[i : i + 1]})[out] for i in range(len(x))]
        r = ref[f"output:{out}"]
        refs = [r[i : i + 1] for i in range(len(r))]
        if manifest["task"] == "detect":
            figures = P.gate("detect", P.compare_detect(refs, got), quantized, "CoreML")
        else:
            figures = P.gate("classify", P.compare_classify(refs, got, manifest.get("activation", "softmax")), quantized, "CoreML")
    elif fam == "clip":
        figures = {}
        for stem, inp, out in (("vision_model", "pixel_values", "image_embeds"), ("text_model", "input_ids", "text_embeds")):
            m = ct.models.MLModel(str(folder / coreml[stem]["file"]), compute_units=cu)
            x = ref[f"input:{inp}"]
            got = [m.predict({inp: x[i : i + 1]})[out] for i in range(len(x))]
            r = ref[f"output:{out}"]
            figures[stem] = P.gate("embed", P.compare_embed([r[i : i + 1] for i in range(len(r))], got), quantized, f"CoreML {stem}")
    elif fam == "whisper":
        enc_m = ct.models.MLModel(str(folder / coreml["encoder_model"]["file"]), compute_units=cu)
        dec_m = ct.models.MLModel(str(folder / coreml["decoder_model"]["file"]), compute_units=cu)
        d = conv["dims"]
        cap = conv["capacity"]
        feats, tokens, ref_logits = ref["input:input_features"], ref["input:tokens"], ref["output:logits"]
        prefix = len(conv["parity"]["prefix"])
        cache_dtype = np.float16 if conv["precision"] == "fp16" else np.float32
        all_ref, all_got, cos = [], [], []
        for k in range(len(feats)):
            enc = enc_m.predict({"input_features": feats[k : k + 1]})["last_hidden_state"]
            cos.append(float(P.cosine_rows(ref["output:last_hidden_state"][k : k + 1].reshape(1, -1), enc.reshape(1, -1))[0]))
            kc = np.zeros((d["layers"], 1, cap, d["dModel"]), cache_dtype)
            vc = np.zeros_like(kc)
            steps = ref_logits.shape[1]
            got = []
            for pos, tok in enumerate(tokens[k][: prefix + steps - 1]):
                o = dec_m.predict({"input_ids": np.array([[tok]], np.int32), "cache_position": np.array([pos], np.int32),
                                   "key_cache": kc, "value_cache": vc, "encoder_hidden_states": enc})
                kc, vc = o["key_cache_out"], o["value_cache_out"]
                if pos >= prefix - 1:
                    got.append(o["logits"][0, -1])
            all_ref.append(ref_logits[k])
            all_got.append(np.stack(got))
        from .whisper import token_figures

        figures = P.gate("transcribe", {**token_figures(np.concatenate(all_ref), np.concatenate(all_got)), "encoderCosine": min(cos)},
                         quantized, "CoreML static-cache decoder")
    else:
        raise ConvertError("ERR_RUN_CONVERTER_UNSUPPORTED", f"verify does not know the family {fam!r}.")
    conv["parity"]["coreml"] = figures
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return {"folder": str(folder), "coreml": figures}
