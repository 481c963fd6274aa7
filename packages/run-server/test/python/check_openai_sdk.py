"""Drives a running llama-pajamas server with the official OpenAI Python SDK.

Run by packages/run-server/test/python-sdk.test.ts with LLAMA_PAJAMAS_URL, LLAMA_PAJAMAS_API_KEY and the
paths of a WAV file (SPEECH_WAV). Prints one JSON line with what it saw; exits non-zero on any failure.
"""

import base64
import json
import os
import struct
import sys

from openai import OpenAI

client = OpenAI(base_url=os.environ["LLAMA_PAJAMAS_URL"] + "/v1", api_key=os.environ["LLAMA_PAJAMAS_API_KEY"], max_retries=0)
wav = os.environ["SPEECH_WAV"]
seen = {}

seen["models"] = sorted(m.id for m in client.models.list())

with open(wav, "rb") as f:
    seen["json_text_type"] = type(client.audio.transcriptions.create(file=f, model="whisper-1").text).__name__
with open(wav, "rb") as f:
    v = client.audio.transcriptions.create(
        file=f, model="whisper-1", response_format="verbose_json", timestamp_granularities=["word", "segment"]
    )
    seen["verbose"] = {"task": getattr(v, "task", None), "duration": v.duration, "segments": len(v.segments or [])}
with open(wav, "rb") as f:
    seen["srt_starts"] = client.audio.transcriptions.create(file=f, model="whisper-1", response_format="srt")[:2]
with open(wav, "rb") as f:
    events = [e.type for e in client.audio.transcriptions.create(file=f, model="whisper-1", stream=True)]
    seen["stream_last"] = events[-1]
with open(wav, "rb") as f:
    seen["translation_type"] = type(client.audio.translations.create(file=f, model="whisper-1").text).__name__

speech = client.audio.speech.create(model="tts-1", voice="alloy", input="Hello from Python.", response_format="wav")
data = speech.read()
seen["speech_wav"] = {"riff": data[:4].decode("ascii"), "rate": struct.unpack("<I", data[24:28])[0], "bytes": len(data)}

emb = client.embeddings.create(model="text-embedding-3-small", input=["a dog", "a cat"])
seen["embeddings"] = {"n": len(emb.data), "dims": len(emb.data[0].embedding)}
raw = client.embeddings.create(model="text-embedding-3-small", input="a dog", encoding_format="base64")
emb0 = raw.data[0].embedding
seen["embeddings_base64_dims"] = len(base64.b64decode(emb0)) // 4 if isinstance(emb0, str) else len(emb0)

try:
    client.audio.speech.create(model="tts-1", voice="alloy", input="x" * 5000)
    seen["too_long"] = "accepted"
except Exception as e:  # openai.BadRequestError
    seen["too_long"] = getattr(e, "status_code", None)

print(json.dumps(seen))
sys.exit(0)
