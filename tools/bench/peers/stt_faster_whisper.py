"""Persistent speech-to-text worker for tools/bench/peers/stt.mjs (faster-whisper from PyPI, int8): one JSON
request per stdin line, one JSON answer per line, timed inside the worker.
- {"files": [...], "beamSize": 5} -> {"ms", "cpuMs", "texts"}: wall time of transcribing the files one after the
  other (temperature 0 only, no VAD), and this process's CPU time.
- {"vad": file, "options": {...}} -> {"ms", "cpuMs", "regions"}: faster-whisper's Silero VAD alone
  (get_speech_timestamps) on the file's 16 kHz samples (decoded before the clock starts), regions in seconds.
Env: BENCH_CT2_MODEL, BENCH_THREADS."""

import json
import os
import sys
import time

from faster_whisper import WhisperModel
from faster_whisper.audio import decode_audio
from faster_whisper.vad import VadOptions, get_speech_timestamps, get_vad_model

threads = int(os.environ.get("BENCH_THREADS", "1"))
model = WhisperModel(
    os.environ["BENCH_CT2_MODEL"], device="cpu", compute_type="int8", cpu_threads=threads, num_workers=1
)
get_vad_model()  # loaded once, as faster-whisper does on its first VAD call
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    if "vad" in req:
        audio = decode_audio(req["vad"], sampling_rate=16000)
        o = req.get("options", {})
        opts = VadOptions(
            threshold=o.get("threshold", 0.5),
            min_speech_duration_ms=o.get("minSpeechDurationMs", 250),
            min_silence_duration_ms=o.get("minSilenceDurationMs", 100),
            speech_pad_ms=o.get("speechPadMs", 30),
        )
        t, c = time.perf_counter(), time.process_time()
        ts = get_speech_timestamps(audio, opts)
        ms, cpu = (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000
        regions = [{"start": s["start"] / 16000, "end": s["end"] / 16000} for s in ts]
        print(json.dumps({"ms": ms, "cpuMs": cpu, "regions": regions}), flush=True)
        continue
    t, c = time.perf_counter(), time.process_time()
    texts = []
    for f in req["files"]:
        segments, _ = model.transcribe(f, language="en", beam_size=req["beamSize"], temperature=0.0, vad_filter=False)
        texts.append("".join(s.text for s in segments).strip())
    print(json.dumps({"ms": (time.perf_counter() - t) * 1000, "cpuMs": (time.process_time() - c) * 1000, "texts": texts}), flush=True)
