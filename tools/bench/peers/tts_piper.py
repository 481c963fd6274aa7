"""Persistent TTS worker for tools/bench/peers/tts.mjs (piper-tts from PyPI): one JSON request per stdin line,
{"text": "..."}, one JSON answer line {"firstMs", "totalMs", "samples", "phonemizeMs", "ortMs", "firstOrtMs", "cpuMs"}:
time to the first sentence chunk of PiperVoice.synthesize and to the last, measured inside the worker, and the
time spent in PiperVoice.phonemize and in onnxruntime's InferenceSession.run (the rest is everything else), and the process's CPU time for the request.
Env: BENCH_VOICE, BENCH_THREADS; BENCH_PIPER_SPINNING=0 turns onnxruntime's intra-op spinning off (piper-tts
keeps onnxruntime's default, on; ours turns it off for voices on more than one thread)."""

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
if os.environ.get("BENCH_PIPER_SPINNING") == "0":
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
voice = PiperVoice.load(voice_path)
phases = {"phonemizeMs": 0.0, "ortMs": 0.0, "runs": 0, "firstOrtMs": 0.0}


class TimedSession:
    """The onnxruntime session with its run timed."""

    def __init__(self, session):
        self.session = session

    def run(self, *args, **kwargs):
        t = time.perf_counter()
        try:
            return self.session.run(*args, **kwargs)
        finally:
            ms = (time.perf_counter() - t) * 1000
            phases["ortMs"] += ms
            if phases["runs"] == 0:
                phases["firstOrtMs"] = ms
            phases["runs"] += 1


# Same session settings as ours: rebuild the session with the thread counts (PiperVoice.load takes none).
voice.session = TimedSession(
    onnxruntime.InferenceSession(voice_path, sess_options=options, providers=["CPUExecutionProvider"])
)
phonemize = voice.phonemize


def timed_phonemize(text):
    t = time.perf_counter()
    try:
        return phonemize(text)
    finally:
        phases["phonemizeMs"] += (time.perf_counter() - t) * 1000


voice.phonemize = timed_phonemize
for _ in voice.synthesize("Warm up."):
    pass
print(json.dumps({"ready": True, "piper": "piper-tts", "onnxruntime": onnxruntime.__version__}), flush=True)
for line in sys.stdin:
    text = json.loads(line)["text"]
    phases.update({"phonemizeMs": 0.0, "ortMs": 0.0, "runs": 0, "firstOrtMs": 0.0})
    cpu = time.process_time()
    t = time.perf_counter()
    first = 0.0
    samples = 0
    for i, chunk in enumerate(voice.synthesize(text)):
        if i == 0:
            first = (time.perf_counter() - t) * 1000
        samples += len(chunk.audio_float_array)
    total = (time.perf_counter() - t) * 1000
    cpu_ms = (time.process_time() - cpu) * 1000
    print(json.dumps({"firstMs": first, "totalMs": total, "cpuMs": cpu_ms, "samples": samples, **phases}), flush=True)
