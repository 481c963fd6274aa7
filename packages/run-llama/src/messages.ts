import { InvalidMessagesError, type ChatMessage, type ChatTool } from '@llama-pajamas/run-core';
import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelResponse } from 'node-llama-cpp';

/** Array.isArray without narrowing a readonly array to `any[]`. */
function isList(v: unknown): boolean {
  return Array.isArray(v);
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

function parseArguments(text: string, index: number, name: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidMessagesError({
      index,
      problem: `the arguments of tool call '${name}' are not valid JSON. Send them as a JSON text, e.g. '{"city":"Paris"}'.`,
    });
  }
}

/**
 * Turns OpenAI-style messages into node-llama-cpp's chat history: an assistant's tool calls and the `tool` messages
 * that answer them become one model response with function calls and their results. Throws
 * {@link InvalidMessagesError} for an empty conversation, an unknown role, or a tool result without its call.
 */
export function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  if (!isList(messages) || messages.length === 0) {
    throw new InvalidMessagesError({ problem: 'the conversation is empty. Send at least one message.' });
  }
  const history: ChatHistoryItem[] = [];
  const pending = new Map<string, ChatModelFunctionCall>();
  for (const [i, m] of messages.entries()) {
    const role = (m as { role?: unknown } | null)?.role;
    if (typeof role !== 'string' || !ROLES.has(role)) {
      throw new InvalidMessagesError({
        index: i,
        problem: `role ${JSON.stringify(role)} is not one of system, developer, user, assistant, tool.`,
      });
    }
    if (m.role === 'tool') {
      const call = pending.get(m.toolCallId);
      if (!call) {
        throw new InvalidMessagesError({
          index: i,
          problem: `no assistant tool call with id '${m.toolCallId}' waits for this result. A tool message answers a tool call of the assistant message just before it.`,
        });
      }
      if (typeof m.content !== 'string')
        throw new InvalidMessagesError({ index: i, problem: 'the content of a tool message must be a string.' });
      call.result = m.content;
      pending.delete(m.toolCallId);
      continue;
    }
    if (pending.size > 0) {
      throw new InvalidMessagesError({
        index: i,
        problem: `tool call(s) ${[...pending.keys()].map((k) => `'${k}'`).join(', ')} have no tool message with their result. Answer each call with a tool message right after the assistant message.`,
      });
    }
    if (m.role === 'assistant') {
      const response: ChatModelResponse['response'] = [];
      if (m.content !== null && m.content !== undefined) {
        if (typeof m.content !== 'string')
          throw new InvalidMessagesError({ index: i, problem: 'the content must be a string or null.' });
        if (m.content !== '') response.push(m.content);
      }
      for (const [j, tc] of (m.toolCalls ?? []).entries()) {
        if (typeof tc?.id !== 'string' || typeof tc.name !== 'string' || typeof tc.arguments !== 'string') {
          throw new InvalidMessagesError({
            index: i,
            problem: `tool call ${j} needs a string id, name and arguments.`,
          });
        }
        const call: ChatModelFunctionCall = {
          type: 'functionCall',
          name: tc.name,
          params: parseArguments(tc.arguments, i, tc.name),
          result: undefined,
          startsNewChunk: j === 0,
        };
        pending.set(tc.id, call);
        response.push(call);
      }
      if (response.length === 0) {
        throw new InvalidMessagesError({ index: i, problem: 'an assistant message needs content or tool calls.' });
      }
      history.push({ type: 'model', response });
      continue;
    }
    if (typeof m.content !== 'string') {
      throw new InvalidMessagesError({ index: i, problem: `the content of a ${m.role} message must be a string.` });
    }
    history.push(m.role === 'user' ? { type: 'user', text: m.content } : { type: 'system', text: m.content });
  }
  if (pending.size > 0) {
    throw new InvalidMessagesError({
      problem: `tool call(s) ${[...pending.keys()].map((k) => `'${k}'`).join(', ')} have no tool message with their result.`,
    });
  }
  if (!history.some((h) => h.type === 'user' || h.type === 'model')) {
    throw new InvalidMessagesError({ problem: 'the conversation has only system messages. Add a user message.' });
  }
  return history;
}

/** The system text that tells the model which tools exist, for tool calls forced by a grammar. */
export function describeTools(tools: readonly ChatTool[]): string {
  const lines = tools.map((t) => {
    const params = t.parameters ? ` Arguments (JSON Schema): ${JSON.stringify(t.parameters)}` : '';
    return `- ${t.name}${t.description ? `: ${t.description}` : ''}.${params}`;
  });
  return `You can call these tools. Answer with one JSON object {"name": <tool name>, "arguments": <arguments object>}.\n${lines.join('\n')}`;
}
