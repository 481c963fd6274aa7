"""Drives a running llama-pajamas chat model with the official OpenAI Python SDK, unchanged.

Run by packages/run-server/test/chat-python.test.ts with LLAMA_PAJAMAS_URL and LLAMA_PAJAMAS_API_KEY. Prints one
JSON line with what it saw; exits non-zero on any failure.
"""

import json
import os

import openai
from openai import OpenAI

client = OpenAI(base_url=os.environ["LLAMA_PAJAMAS_URL"] + "/v1", api_key=os.environ["LLAMA_PAJAMAS_API_KEY"], max_retries=0)
seen = {}
ask = [{"role": "user", "content": "What is the capital of France?"}]

seen["models"] = sorted(m.id for m in client.models.list())

r = client.chat.completions.create(model="smollm2", messages=ask, max_tokens=24)
seen["plain"] = {"content": r.choices[0].message.content, "finish": r.choices[0].finish_reason, "usage": r.usage.total_tokens}

text, finish, usage = "", None, None
for chunk in client.chat.completions.create(
    model="smollm2", messages=ask, max_tokens=24, stream=True, stream_options={"include_usage": True}
):
    if chunk.usage:
        usage = chunk.usage.completion_tokens
    for c in chunk.choices:
        text += c.delta.content or ""
        finish = c.finish_reason or finish
seen["stream"] = {"content": text, "finish": finish, "usage": usage}

schema = {
    "type": "object",
    "properties": {"name": {"type": "string", "maxLength": 20}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}
r = client.chat.completions.create(
    model="smollm2",
    messages=[{"role": "user", "content": "Describe a person."}],
    max_tokens=80,
    response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": schema, "strict": True}},
)
seen["json_schema_keys"] = sorted(json.loads(r.choices[0].message.content).keys())

tools = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather of a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]
messages = [{"role": "user", "content": "What is the weather in Paris?"}]
r = client.chat.completions.create(model="smollm2", messages=messages, tools=tools, tool_choice="required", max_tokens=60)
call = r.choices[0].message.tool_calls[0]
seen["tool_call"] = {"finish": r.choices[0].finish_reason, "name": call.function.name, "args": sorted(json.loads(call.function.arguments))}
messages += [r.choices[0].message.model_dump(exclude_none=True), {"role": "tool", "tool_call_id": call.id, "content": '{"temp_c": 21}'}]
r = client.chat.completions.create(model="smollm2", messages=messages, tools=tools, max_tokens=40)
seen["tool_answer"] = {"finish": r.choices[0].finish_reason, "has_text": bool(r.choices[0].message.content)}

c = client.completions.create(model="smollm2", prompt="The capital of France is", max_tokens=4)
seen["completion"] = c.choices[0].text

try:
    client.chat.completions.create(model="smollm2", messages=[{"role": "user", "content": "hi"}], max_tokens=10_000_000)
    seen["overflow"] = 200
except openai.BadRequestError as e:
    seen["overflow"] = e.status_code

print(json.dumps(seen))
