"""Persistent TTS worker for tools/bench/peers/tts.mjs (piper-tts from PyPI): one JSON request per stdin line,
{"text": "..."}, one JSON answer line {"firstMs", "totalMs", "samples"}: time to the first sentence chunk of
PiperVoice.synthesize and to the last, measured inside the worker. Env: BENCH_VOICE, BENCH_THREADS."""

import json
import os
import sys
import time

import onnxruntime
from piper import PiperVoice

voice_path = os.environ["BENCH_VOICE"]
threads = int(os.environ.get("BENCH_THREADS", "1"))
options = onnxruntime.SessionOptions()
options.intra_op_num_threads = threads
options.inter_op_num_threads = 1
voice = PiperVoice.load(voice_path)
# Same session settings as ours: rebuild the session with the thread counts (PiperVoice.load takes none).
voice.session = onnxruntime.InferenceSession(voice_path, sess_options=options, providers=["CPUExecutionProvider"])
for _ in voice.synthesize("Warm up."):
    pass
print(json.dumps({"ready": True, "piper": "piper-tts"}), flush=True)
for line in sys.stdin:
    text = json.loads(line)["text"]
    t = time.perf_counter()
    first = 0.0
    samples = 0
    for i, chunk in enumerate(voice.synthesize(text)):
        if i == 0:
            first = (time.perf_counter() - t) * 1000
        samples += len(chunk.audio_float_array)
    print(json.dumps({"firstMs": first, "totalMs": (time.perf_counter() - t) * 1000, "samples": samples}), flush=True)
