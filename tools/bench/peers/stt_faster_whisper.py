"""Persistent speech-to-text worker for tools/bench/peers/stt.mjs (faster-whisper from PyPI, int8): one JSON
request per stdin line, {"files": [...], "beamSize": 5}, one JSON answer {"ms", "texts"}: wall time of
transcribing the files one after the other, measured inside the worker. Env: BENCH_CT2_MODEL, BENCH_THREADS."""

import json
import os
import sys
import time

from faster_whisper import WhisperModel

threads = int(os.environ.get("BENCH_THREADS", "1"))
model = WhisperModel(
    os.environ["BENCH_CT2_MODEL"], device="cpu", compute_type="int8", cpu_threads=threads, num_workers=1
)
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    t = time.perf_counter()
    texts = []
    for f in req["files"]:
        segments, _ = model.transcribe(f, language="en", beam_size=req["beamSize"], temperature=0.0, vad_filter=False)
        texts.append("".join(s.text for s in segments).strip())
    print(json.dumps({"ms": (time.perf_counter() - t) * 1000, "texts": texts}), flush=True)
