"""Worker of tools/bench/stt-sizes.mjs (faster-whisper, CTranslate2 int8): one JSON request per stdin line,
{"files": [...], "beamSize": 5}, one JSON answer {"ms", "tokens"}. Per file: transcribe() with one temperature (0),
no VAD, no timestamps, EOT suppressed and max_new_tokens set so that a clip of at most 30 s is one window
of exactly that many tokens (see max_new below). Env: BENCH_CT2_MODEL, BENCH_THREADS, BENCH_TOKENS."""

import json
import os
import sys
import time

from faster_whisper import WhisperModel

threads = int(os.environ.get("BENCH_THREADS", "1"))
tokens = int(os.environ.get("BENCH_TOKENS", "64"))
model = WhisperModel(os.environ["BENCH_CT2_MODEL"], device="cpu", compute_type="int8", cpu_threads=threads,
                     num_workers=1)
eot = model.hf_tokenizer.token_to_id("<|endoftext|>")
# The decoder prompt: <|startoftranscript|> [<|en|> <|transcribe|>] <|notimestamps|>. CTranslate2 4.8.5 stopped this
# prompt after (len(prompt) + max_new_tokens) / 2 new tokens in our runs, so ask for 2 N - len(prompt) to get N (the
# driver checks that both sides decoded the same counts).
prompt_len = 4 if model.model.is_multilingual else 2
max_new = 2 * tokens - prompt_len
print(json.dumps({"ready": True, "eot": eot}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    t = time.perf_counter()
    counts = []
    for f in req["files"]:
        segments, _ = model.transcribe(f, language="en", beam_size=req["beamSize"], temperature=0.0,
                                       vad_filter=False, without_timestamps=True, suppress_tokens=[-1, eot],
                                       max_new_tokens=max_new, condition_on_previous_text=False)
        counts.append(sum(len(s.tokens) for s in segments))
    print(json.dumps({"ms": (time.perf_counter() - t) * 1000, "tokens": counts}), flush=True)
