"""Whisper → CoreML: the encoder; a decoder with the KV cache as inputs/outputs (fixed capacity, static shapes);
a stateful decoder (the cache held in CoreML states, macOS 15). The same layer code exports the ONNX files
run-onnx loads (Optimum's split layout: encoder_model, decoder_model, decoder_with_past_model)."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np

from . import parity as P
from .common import (
    ConvertError,
    Options,
    coreml_compress,
    coreml_convert,
    coreml_save,
    coreml_suffix,
    conversion_block,
    keep_onnx,
    onnx_export,
    onnx_io,
    onnx_variants,
    ort_session,
    parity_onnx,
    prepare_out,
    progress,
    with_fallback,
    write_manifest,
)
from .hf_common import copy_aux, hf_folder, load_pretrained

NEG = -1e4  # additive mask value that FP16 holds


def modules(hf):
    """The torch modules: encoder, static-cache decoder, stateful decoder, and the two ONNX decoders."""
    import torch
    import torch.nn.functional as F

    dec = hf.model.decoder
    cfg = hf.config
    H = cfg.decoder_attention_heads
    D = cfg.d_model
    hd = D // H
    L = cfg.decoder_layers
    emb_scale = math.sqrt(D) if getattr(cfg, "scale_embedding", False) else 1.0

    def heads(x):  # [B, T, D] -> [B, H, T, hd]
        return x.view(x.shape[0], x.shape[1], H, hd).transpose(1, 2)

    def merge(x):  # [B, H, T, hd] -> [B, T, D]
        return x.transpose(1, 2).reshape(x.shape[0], x.shape[2], D)

    def attend(q, k, v, mask=None):  # all [B, H, T, hd]; q pre-scaled
        s = q @ k.transpose(-1, -2)
        if mask is not None:
            s = s + mask
        return F.softmax(s, dim=-1) @ v

    def embed(input_ids, positions):
        return dec.embed_tokens(input_ids) * emb_scale + dec.embed_positions.weight[positions].unsqueeze(0)

    def cross_kv(layer, enc):
        return heads(layer.encoder_attn.k_proj(enc)), heads(layer.encoder_attn.v_proj(enc))

    def block(layer, h, self_attn, cross):
        """One decoder layer; `self_attn(q, k, v)` and `cross(q)` give the attention contexts ([B, H, T, hd])."""
        x = layer.self_attn_layer_norm(h)
        a = layer.self_attn
        ctx = self_attn(heads(a.q_proj(x) * a.scaling), heads(a.k_proj(x)), heads(a.v_proj(x)))
        h = h + a.out_proj(merge(ctx))
        x = layer.encoder_attn_layer_norm(h)
        c = layer.encoder_attn
        h = h + c.out_proj(merge(cross(heads(c.q_proj(x) * c.scaling))))
        x = layer.final_layer_norm(h)
        return h + layer.fc2(layer.activation_fn(layer.fc1(x)))

    def head(h):
        return hf.proj_out(dec.layer_norm(h))

    class Encoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = hf.model.encoder

        def forward(self, input_features):
            return self.encoder(input_features=input_features).last_hidden_state

    class StaticDecoder(torch.nn.Module):
        """input_ids [1,1], cache_position [1], key/value_cache [L,1,C,D], encoder_hidden_states → logits, caches."""

        def __init__(self, capacity):
            super().__init__()
            self.dec, self.proj, self.capacity = dec, hf.proj_out, capacity

        def step(self, input_ids, cache_position, key_cache, value_cache, enc):
            ar = torch.arange(self.capacity, device=input_ids.device)
            onehot = (ar == cache_position.to(ar.dtype)).to(key_cache.dtype).view(1, -1, 1)
            mask = ((ar > cache_position.to(ar.dtype)).to(enc.dtype) * NEG).view(1, 1, 1, -1)
            h = embed(input_ids, cache_position.long())
            keys, values = [], []
            for i, layer in enumerate(self.dec.layers):

                def self_attn(q, k, v, i=i):
                    kc = key_cache[i] * (1 - onehot) + merge(k).to(key_cache.dtype) * onehot
                    vc = value_cache[i] * (1 - onehot) + merge(v).to(value_cache.dtype) * onehot
                    keys.append(kc)
                    values.append(vc)
                    return attend(q, heads(kc.to(q.dtype)), heads(vc.to(q.dtype)), mask)

                ck, cv = cross_kv(layer, enc)
                h = block(layer, h, self_attn, lambda q, ck=ck, cv=cv: attend(q, ck, cv))
            return head(h), torch.stack(keys), torch.stack(values)

        def forward(self, input_ids, cache_position, key_cache, value_cache, encoder_hidden_states):
            return self.step(input_ids, cache_position, key_cache, value_cache, encoder_hidden_states)

    class StatefulDecoder(StaticDecoder):
        """The same step with the cache in registered buffers (CoreML states): input_ids, cache_position, encoder_hidden_states → logits."""

        def __init__(self, capacity):
            super().__init__(capacity)
            self.register_buffer("key_cache", torch.zeros(L, 1, capacity, D, dtype=torch.float16))
            self.register_buffer("value_cache", torch.zeros(L, 1, capacity, D, dtype=torch.float16))

        def forward(self, input_ids, cache_position, encoder_hidden_states):
            logits, k, v = self.step(input_ids, cache_position, self.key_cache, self.value_cache, encoder_hidden_states)
            self.key_cache[:, :, :, :] = k
            self.value_cache[:, :, :, :] = v
            return logits

    class OnnxDecoder(torch.nn.Module):
        """Optimum's decoder_model: input_ids [B,T], encoder_hidden_states → logits, present.N.{decoder,encoder}.{key,value}."""

        def __init__(self):
            super().__init__()
            self.dec, self.proj = dec, hf.proj_out

        def forward(self, input_ids, encoder_hidden_states):
            T = input_ids.shape[1]
            causal = torch.triu(torch.full((T, T), NEG), diagonal=1).view(1, 1, T, T)
            h = embed(input_ids, torch.arange(T))
            presents = []
            for layer in self.dec.layers:
                ck, cv = cross_kv(layer, encoder_hidden_states)
                kept = []

                def self_attn(q, k, v, kept=kept):
                    kept += [k, v]
                    return attend(q, k, v, causal)

                h = block(layer, h, self_attn, lambda q, ck=ck, cv=cv: attend(q, ck, cv))
                presents += [kept[0], kept[1], ck, cv]
            return (head(h), *presents)

    class OnnxDecoderWithPast(torch.nn.Module):
        """Optimum's decoder_with_past_model: input_ids [B,1] + past_key_values.N.* → logits, present.N.decoder.*."""

        def __init__(self):
            super().__init__()
            self.dec, self.proj = dec, hf.proj_out

        def forward(self, input_ids, *past):
            P_len = past[0].shape[2]
            h = embed(input_ids, torch.arange(1) + P_len)
            presents = []
            for i, layer in enumerate(self.dec.layers):
                pk, pv, ck, cv = past[4 * i : 4 * i + 4]
                kept = []

                def self_attn(q, k, v, pk=pk, pv=pv, kept=kept):
                    k2, v2 = torch.cat([pk, k], 2), torch.cat([pv, v], 2)
                    kept += [k2, v2]
                    return attend(q, k2, v2)

                h = block(layer, h, self_attn, lambda q, ck=ck, cv=cv: attend(q, ck, cv))
                presents += kept
            return (head(h), *presents)

    dims = {"layers": L, "heads": H, "headDim": hd, "dModel": D, "vocab": cfg.vocab_size}
    return Encoder().eval(), StaticDecoder, StatefulDecoder, OnnxDecoder().eval(), OnnxDecoderWithPast().eval(), dims


def greedy_reference(hf, feats, prefix: list[int], steps: int):
    """PyTorch (transformers' own forward) greedy decoding: tokens and per-step logits."""
    import torch

    with torch.no_grad():
        enc = hf.model.encoder(input_features=torch.from_numpy(feats)).last_hidden_state
        ids = list(prefix)
        logits = []
        for _ in range(steps):
            out = hf(encoder_outputs=(enc,), decoder_input_ids=torch.tensor([ids])).logits[0, -1].numpy()
            logits.append(out)
            ids.append(int(out.argmax()))
    return enc.numpy(), ids, np.stack(logits)


def token_figures(ref_logits: np.ndarray, got_logits: np.ndarray) -> dict:
    """Teacher-forced agreement of the next-token argmax (and over steps whose top-2 margin beats the noise)."""
    delta = np.abs(ref_logits - got_logits).max(1)
    top2 = np.sort(ref_logits, 1)[:, -2:]
    decisive = (top2[:, 1] - top2[:, 0]) > 2 * delta
    agree = ref_logits.argmax(1) == got_logits.argmax(1)
    return {
        "steps": int(agree.size),
        "tokenAgreementAll": float(agree.mean()),
        "tokenAgreement": float(agree[decisive].mean()) if decisive.any() else 1.0,
        "decisiveSteps": int(decisive.sum()),
        "maxLogitDelta": float(delta.max()),
    }


def convert(opts: Options) -> dict:
    import coremltools as ct
    import torch
    from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration

    config = hf_folder(opts.source, ("config.json", "preprocessor_config.json"))
    if config.get("model_type") != "whisper":
        raise ConvertError("ERR_RUN_CONVERTER_SOURCE_INVALID", f"{opts.source} is a '{config.get('model_type')}' model, not Whisper.")
    progress("load", f"loading Whisper from {opts.source}")
    hf = load_pretrained(WhisperForConditionalGeneration, opts.source)
    fe = WhisperFeatureExtractor.from_pretrained(str(opts.source))
    encoder, StaticDecoder, StatefulDecoder, onnx_dec, onnx_dec_past, dims = modules(hf)
    capacity = int(opts.family_args.get("max_tokens") or min(448, hf.config.max_target_positions))
    if capacity > hf.config.max_target_positions:
        raise ConvertError("ERR_RUN_CONVERTER_INVALID_OPTION", f"--max-tokens {capacity} is more than the model's {hf.config.max_target_positions} positions.")
    stateful = opts.family_args.get("stateful", True)
    clips, clip_names = P.load_audio(opts.parity_inputs)
    feats = [fe(c, sampling_rate=16000, return_tensors="np")["input_features"].astype(np.float32) for c in clips]
    n_mels, frames = feats[0].shape[1:]
    prefix = [int(hf.config.decoder_start_token_id)]
    steps = min(int(opts.family_args.get("parity_steps") or 24), capacity - len(prefix))
    progress("reference", f"PyTorch greedy decoding of {len(feats)} clip(s), {steps} steps each")
    refs = [greedy_reference(hf, f, prefix, steps) for f in feats]
    D, L = dims["dModel"], dims["layers"]
    S = refs[0][0].shape[1]
    metadata = {"task": "transcribe", "model_type": "whisper", "capacity": str(capacity), **{k: str(v) for k, v in dims.items()}}

    def run(precision: str) -> dict:
        quantize = opts.quantize if precision == opts.precision else None
        prepare_out(opts.out, opts.overwrite or precision != opts.precision)
        cache_dtype = np.float16 if precision == "fp16" else np.float32
        files: dict = {"coreml": {}}
        ex_feat = torch.from_numpy(feats[0])
        ex_enc = torch.from_numpy(refs[0][0])
        ex_ids = torch.tensor([[prefix[0]]], dtype=torch.int32)
        ex_pos = torch.tensor([0], dtype=torch.int32)
        tdt = torch.float16 if precision == "fp16" else torch.float32
        ex_cache = torch.zeros(L, 1, capacity, D, dtype=torch.float32)
        parts = []
        progress("coreml", f"converting the encoder ({precision})")
        parts.append(("encoder_model", coreml_convert(
            encoder, (ex_feat,),
            inputs=[ct.TensorType(name="input_features", shape=(1, n_mels, frames), dtype=np.float32)],
            outputs=[ct.TensorType(name="last_hidden_state", dtype=np.float32)], precision=precision),
            f"Whisper encoder, input_features [1,{n_mels},{frames}]", "macOS13"))
        progress("coreml", f"converting the decoder with the KV cache as inputs/outputs (capacity {capacity})")
        static = StaticDecoder(capacity).eval()
        parts.append(("decoder_model", coreml_convert(
            static, (ex_ids, ex_pos, ex_cache, ex_cache, ex_enc),
            inputs=[ct.TensorType(name="input_ids", shape=(1, 1), dtype=np.int32),
                    ct.TensorType(name="cache_position", shape=(1,), dtype=np.int32),
                    ct.TensorType(name="key_cache", shape=(L, 1, capacity, D), dtype=cache_dtype),
                    ct.TensorType(name="value_cache", shape=(L, 1, capacity, D), dtype=cache_dtype),
                    ct.TensorType(name="encoder_hidden_states", shape=(1, S, D), dtype=np.float32)],
            outputs=[ct.TensorType(name="logits", dtype=np.float32),
                     ct.TensorType(name="key_cache_out", dtype=cache_dtype),
                     ct.TensorType(name="value_cache_out", dtype=cache_dtype)], precision=precision),
            f"Whisper decoder step; caches [{L},1,{capacity},{D}] in and out; write position cache_position", "macOS13"))
        if stateful:
            progress("coreml", "converting the stateful decoder (CoreML states, macOS 15)")
            sd = StatefulDecoder(capacity).eval()
            parts.append(("decoder_model_stateful", coreml_convert(
                sd, (ex_ids, ex_pos, ex_enc),
                inputs=[ct.TensorType(name="input_ids", shape=(1, 1), dtype=np.int32),
                        ct.TensorType(name="cache_position", shape=(1,), dtype=np.int32),
                        ct.TensorType(name="encoder_hidden_states", shape=(1, S, D), dtype=np.float32)],
                outputs=[ct.TensorType(name="logits", dtype=np.float32)],
                states=[ct.StateType(wrapped_type=ct.TensorType(shape=(L, 1, capacity, D), dtype=np.float16), name="key_cache"),
                        ct.StateType(wrapped_type=ct.TensorType(shape=(L, 1, capacity, D), dtype=np.float16), name="value_cache")],
                precision=precision, target="macOS15"),
                f"Whisper decoder step with the KV cache in states [{L},1,{capacity},{D}]", "macOS15"))
        for stem, ml, what, target in parts:
            if quantize:
                progress("compress", f"compressing {stem} weights ({quantize})")
                ml = coreml_compress(ml, quantize, opts.min_weight_size)
            pkg = opts.out / f"{stem}{coreml_suffix(precision, quantize)}.mlpackage"
            files["coreml"][stem] = {"file": pkg.name, "precision": precision, "quantize": quantize, "target": target,
                                     **coreml_save(ml, pkg, metadata, what)}
        figures = {}
        with tempfile.TemporaryDirectory(prefix="lp-whisper-onnx-") as tmp:
            t = Path(tmp)
            progress("onnx", "exporting ONNX (encoder, decoder, decoder with past; the static decoder for the parity gate)")
            fenc, fdec, fpast, fstatic = t / "encoder_model.onnx", t / "decoder_model.onnx", t / "decoder_with_past_model.onnx", t / "static_decoder.onnx"
            onnx_export(encoder, (ex_feat,), fenc, ["input_features"], ["last_hidden_state"],
                        {"input_features": {0: "batch_size"}, "last_hidden_state": {0: "batch_size"}})
            kv = [f"{a}.{i}.{b}.{c}" for i in range(L) for b, c in (("decoder", "key"), ("decoder", "value"), ("encoder", "key"), ("encoder", "value")) for a in ("present",)]
            two = torch.tensor([[prefix[0], prefix[0]]], dtype=torch.int64)
            onnx_export(onnx_dec, (two, ex_enc), fdec, ["input_ids", "encoder_hidden_states"], ["logits", *kv],
                        {"input_ids": {0: "batch_size", 1: "decoder_sequence_length"}, "encoder_hidden_states": {0: "batch_size"},
                         "logits": {0: "batch_size", 1: "decoder_sequence_length"},
                         **{n: {0: "batch_size", 2: "past_decoder_sequence_length" if ".decoder." in n else "encoder_sequence_length_out"} for n in kv}})
            with torch.no_grad():
                first = onnx_dec(two, ex_enc)
            past_names = [n.replace("present.", "past_key_values.") for n in kv]
            present_dec = [n for n in kv if ".decoder." in n]
            onnx_export(onnx_dec_past, (torch.tensor([[prefix[0]]]), *first[1:]), fpast, ["input_ids", *past_names], ["logits", *present_dec],
                        {"input_ids": {0: "batch_size"}, "logits": {0: "batch_size"},
                         **{n: {0: "batch_size", 2: "past_decoder_sequence_length" if ".decoder." in n else "encoder_sequence_length_out"} for n in past_names},
                         **{n: {0: "batch_size", 2: "past_decoder_sequence_length + 1"} for n in present_dec}})
            onnx_export(StaticDecoder(capacity).eval(), (ex_ids, ex_pos, ex_cache, ex_cache, ex_enc), fstatic,
                        ["input_ids", "cache_position", "key_cache", "value_cache", "encoder_hidden_states"], ["logits", "key_cache_out", "value_cache_out"])
            made = {n: onnx_variants(f, [d for d in opts.onnx if d != "fp32"]) for n, f in
                    (("encoder_model", fenc), ("decoder_model", fdec), ("decoder_with_past_model", fpast), ("static", fstatic))}
            proxies = {n: parity_onnx(m["fp32"], precision, quantize, m) for n, m in made.items()}
            label, q8 = proxies["encoder_model"][1], proxies["encoder_model"][2]
            sess = {n: ort_session(p[0]) for n, p in proxies.items()}
            progress("parity", f"running {label} teacher-forced against the PyTorch tokens ({len(feats)} clip(s))")
            enc_cos, split_logits, static_logits, ref_logits = [], [], [], []
            for f, (enc_ref, ids, rl) in zip(feats, refs):
                enc = sess["encoder_model"].run(None, {"input_features": f})[0]
                enc_cos.append(float(P.cosine_rows(enc_ref.reshape(1, -1), enc.reshape(1, -1))[0]))
                ref_logits.append(rl)
                # Optimum layout: the uncached decoder on the prefix, then one cached step per token
                out = sess["decoder_model"].run(None, {"input_ids": np.array([ids[: len(prefix)]], np.int64), "encoder_hidden_states": enc})
                step_logits = [out[0][0, -1]]
                past = dict(zip(past_names, out[1:]))
                for tok in ids[len(prefix) : len(prefix) + steps - 1]:
                    o = sess["decoder_with_past_model"].run(None, {"input_ids": np.array([[tok]], np.int64), **past})
                    step_logits.append(o[0][0, -1])
                    for n, v in zip(present_dec, o[1:]):
                        past[n.replace("present.", "past_key_values.")] = v
                split_logits.append(np.stack(step_logits))
                # the CoreML-shaped static decoder (same graph as decoder_model.mlpackage)
                kc = np.zeros((L, 1, capacity, D), np.float32)
                vc = np.zeros_like(kc)
                sl = []
                for pos, tok in enumerate(ids[: len(prefix) + steps - 1]):
                    o = sess["static"].run(None, {"input_ids": np.array([[tok]], np.int64 if sess["static"].get_inputs()[0].type == "tensor(int64)" else np.int32),
                                                  "cache_position": np.array([pos], np.int64 if sess["static"].get_inputs()[1].type == "tensor(int64)" else np.int32),
                                                  "key_cache": kc, "value_cache": vc, "encoder_hidden_states": enc})
                    kc, vc = o[1], o[2]
                    if pos >= len(prefix) - 1:
                        sl.append(o[0][0, -1])
                static_logits.append(np.stack(sl))
            rl = np.concatenate(ref_logits)
            figures["encoder"] = {"minEncoderCosine": min(enc_cos)}
            for name, got in (("onnx", split_logits), ("static", static_logits)):
                fig = {**token_figures(rl, np.concatenate(got)), "encoderCosine": min(enc_cos)}
                figures[name] = P.gate("transcribe", fig, q8, f"{label} {'Optimum-layout decoders' if name == 'onnx' else 'static-cache decoder (the CoreML graph)'}")
            if opts.onnx:
                for n in ("encoder_model", "decoder_model", "decoder_with_past_model"):
                    for d, path in keep_onnx(made[n], opts.onnx, opts.out / "onnx", n).items():
                        files.setdefault("onnx", {}).setdefault(n, {})[d] = {"file": str(path.relative_to(opts.out)), **onnx_io(path)}
        copy_aux(opts.source, opts.out)
        ref_file = P.save_reference(
            opts.out,
            {"input_features": np.concatenate(feats), "tokens": np.array([r[1] for r in refs], np.int32)},
            {"last_hidden_state": np.concatenate([r[0] for r in refs]), "logits": np.stack([r[2] for r in refs])},
        )
        parity = {"inputs": clip_names, "prefix": prefix, "onnx": figures,
                  "coreml": "not run: CoreML predictions need macOS (run `verify` there)", "reference": ref_file}
        manifest = {
            "task": "transcribe",
            "conversion": conversion_block("whisper", opts, precision, files, parity,
                                           {"capacity": capacity, "dims": dims, "cacheLayout": "[layers, 1, capacity, d_model]"}),
        }
        write_manifest(opts.out, manifest)
        return manifest

    return with_fallback(opts, run)
