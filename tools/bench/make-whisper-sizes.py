"""Real-size, architecture-true Whisper base and small with random weights, for tools/bench/stt-sizes.mjs (not a
test, nothing committed). For each size one PyTorch model (fixed seed, the real multilingual vocabulary of
tools/fixtures/generate.py) is written twice with the same weights:

- ONNX int8 exactly as the real tiny.en fixture is made (tools/fixtures/convert_ct2_whisper.py): Optimum
  main_export(task="automatic-speech-recognition-with-past", opset 17, cross-attention outputs), then MatMul weights
  dynamically quantized to int8 per tensor (the same `quantize()`, shared token embedding stored once as int8);
  -> .cache/bench-whisper/<size>-int8/ (loadSpeechToText(dir, { dtype: 'int8' }));
- CTranslate2 int8 with ctranslate2's own TransformersConverter(quantization="int8")
  -> .cache/bench-whisper/<size>-ct2/ (faster-whisper's WhisperModel(dir, compute_type="int8")).

Run (needs tools/fixtures/setup.sh; installs ctranslate2 into that venv):
  tools/fixtures/.venv/bin/pip install -q ctranslate2==4.8.5
  tools/fixtures/.venv/bin/python tools/bench/make-whisper-sizes.py base small
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "fixtures"))

import convert_ct2_whisper as cw  # noqa: E402
import generate as g  # noqa: E402

# openai-whisper's ModelDimensions for base and small (n_mels 80, 1500 audio / 448 text positions, 99 languages).
SIZES = {
    "base": dict(d_model=512, encoder_layers=6, decoder_layers=6, encoder_attention_heads=8,
                 decoder_attention_heads=8, encoder_ffn_dim=2048, decoder_ffn_dim=2048),
    "small": dict(d_model=768, encoder_layers=12, decoder_layers=12, encoder_attention_heads=12,
                  decoder_attention_heads=12, encoder_ffn_dim=3072, decoder_ffn_dim=3072),
}
OUT = ROOT / ".cache" / "bench-whisper"


def _converter():
    import ctranslate2

    class Converter(ctranslate2.converters.TransformersConverter):
        """ctranslate2 4.8 passes `dtype=` to from_pretrained; transformers 4.42 (pinned here) calls it torch_dtype."""

        def load_model(self, model_class, model_name_or_path, **kwargs):
            if "dtype" in kwargs:
                kwargs["torch_dtype"] = kwargs.pop("dtype")
            return model_class.from_pretrained(model_name_or_path, **kwargs)

    return Converter


def build(size: str) -> None:
    import numpy as np
    from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration

    Converter = _converter()
    onnx_out = OUT / f"{size}-int8"
    done = all((onnx_out / "onnx" / f"{s}_quantized.onnx").is_file() for s in ["encoder_model", "decoder_model_merged"])
    if not done:
        g.clean_dir(onnx_out)
    ct2_out = OUT / f"{size}-ct2"
    work = Path(tempfile.mkdtemp(prefix=f"whisper-{size}-"))
    try:
        tok = g._build_whisper_tokenizer(onnx_out)
        cfg, gen = g._whisper_configs(tok, SIZES[size])
        g.seed_all(g.WHISPER_SEED)
        model = WhisperForConditionalGeneration(cfg).eval()
        model.generation_config = gen
        fe = WhisperFeatureExtractor(feature_size=80, sampling_rate=16000, hop_length=160, chunk_length=30,
                                     n_fft=400, padding_value=0.0, return_attention_mask=False)
        model.save_pretrained(work / "pt")
        fe.save_pretrained(work / "pt")
        tok.save_pretrained(work / "pt")
        print(f"[{size}] {sum(p.numel() for p in model.parameters()) / 1e6:.1f} M parameters", flush=True)
        if done:
            print(f"[{size}] {onnx_out} exists: only the CTranslate2 model is rebuilt", flush=True)
        else:
            export_int8(work, onnx_out, cfg)
        for f in ["config.json", "generation_config.json"]:
            shutil.copy(work / "pt" / f, onnx_out / f)
        pp = fe.to_dict()
        pp.pop("_processor_class", None)
        pp["processor_class"] = "WhisperProcessor"
        pp["mel_filters"] = [[float(v) for v in row] for row in fe.mel_filters.T.astype(np.float64)]
        g.write_json(onnx_out / "preprocessor_config.json", dict(sorted(pp.items())), indent=2)
        Converter(str(work / "pt"), copy_files=["tokenizer.json", "preprocessor_config.json"]).convert(
            str(ct2_out), quantization="int8", force=True
        )
        print(f"[{size}] {onnx_out} and {ct2_out} written", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def export_int8(work: Path, onnx_out: Path, cfg) -> None:
    """Optimum export with cross-attention outputs, then int8 as the tiny.en fixture (convert_ct2_whisper.quantize)."""
    from optimum.exporters.onnx import main_export

    with g.quiet():
        main_export(str(work / "pt"), output=str(work / "onnx"), task="automatic-speech-recognition-with-past",
                    opset=g.OPSET, device="cpu", local_files_only=True, library_name="transformers",
                    **g.whisper_export_kwargs(cfg))
    (onnx_out / "onnx").mkdir(exist_ok=True)
    for stem in ["encoder_model", "decoder_model_merged"]:
        cw.quantize(work / "onnx" / f"{stem}.onnx", onnx_out / "onnx" / f"{stem}_quantized.onnx")
        print(f"[{onnx_out.name}] quantized {stem}", flush=True)


if __name__ == "__main__":
    for s in sys.argv[1:] or ["base", "small"]:
        build(s)
