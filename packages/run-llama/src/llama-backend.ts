import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import {
  AbortedError,
  ContextOverflowError,
  InvalidArgumentError,
  LLMBackend,
  LlmFeatureUnsupportedError,
  ModelNotFoundError,
  invalidParameter,
  isRunError,
  type ChatDelta,
  type ChatMessage,
  type ChatOptions,
  type ChatResult,
  type ChatTool,
  type ChatToolCall,
  type CompletionDelta,
  type CompletionOptions,
  type CompletionResult,
} from '@llama-pajamas/run-core';
import type {
  ChatHistoryItem,
  ChatModelFunctions,
  ChatWrapper,
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaGrammar,
  LlamaModel,
} from 'node-llama-cpp';
import { streamJob } from './async-queue.js';
import { LlamaModelLoadError } from './errors.js';
import { toGrammarSchema } from './json-schema.js';
import { describeTools, toChatHistory } from './messages.js';
import { Pool } from './sequence-pool.js';
import { callId, checkGeneration, finishOf, sampling } from './generation.js';
import { runtime } from './runtime.js';

/** Options of {@link loadLlamaModel}. */
export interface LlamaModelOptions {
  /** Name the server lists the model under (default: the file name without `.gguf`). */
  modelId?: string;
  /** Tokens per request (per sequence) (default: the model's training context, at most 4096). */
  contextSize?: number;
  /** Requests that run at the same time, each on its own sequence of one shared context (default 4). */
  parallel?: number;
  /**
   * CPU threads of the context (default 1). Measured on 2 shared cores: 1 thread decoded 16-20 tok/s and
   * 2 threads 2.7 tok/s (llama.cpp's threads spin-wait for each other when the cores are busy); raise it only on
   * idle machines with spare cores (docs/benchmarks.md).
   */
  threads?: number;
  /** Use a GPU build when one is installed (`'auto'`), or the CPU only (`false`, the default). */
  gpu?: 'auto' | false;
  /** Load now (default true); otherwise call `load()`. */
  load?: boolean;
}

/** How one chat request runs: free text, a grammar (JSON output or forced tool calls), or native functions. */
interface ChatPlan {
  history: ChatHistoryItem[];
  grammar?: LlamaGrammar;
  functions?: ChatModelFunctions;
  /** The grammar's output is a tool call `{name, arguments}`. */
  forcedTools: boolean;
}

/**
 * A GGUF chat model on node-llama-cpp: one context with `parallel` sequences, the chat template read from the
 * GGUF, tool calls and JSON-schema output through grammars. Build it with {@link loadLlamaModel}.
 */
export class LlamaChatBackend extends LLMBackend {
  readonly modelId: string;
  readonly parallelism: number;
  private model: LlamaModel | undefined;
  private context: LlamaContext | undefined;
  private pool: Pool<LlamaContextSequence> | undefined;
  private wrapper: ChatWrapper | undefined;
  private loading: Promise<void> | undefined;
  private size = 0;
  private readonly grammarCache = new Map<string, Promise<LlamaGrammar>>();

  constructor(
    readonly path: string,
    private readonly options: LlamaModelOptions = {},
  ) {
    super();
    this.modelId = options.modelId ?? basename(path).replace(/\.gguf$/i, '');
    const parallel = options.parallel ?? 4;
    if (!Number.isInteger(parallel) || parallel < 1) throw invalidParameter('parallel', 'a positive integer', parallel);
    this.parallelism = parallel;
  }

  get isLoaded(): boolean {
    return this.pool !== undefined;
  }

  /** Tokens per request (prompt + answer); 0 until loaded. */
  get contextSize(): number {
    return this.size;
  }

  /** The chat template node-llama-cpp picked from the GGUF (e.g. `ChatML`); undefined until loaded. */
  get chatTemplate(): string | undefined {
    return this.wrapper?.wrapperName;
  }

  /** Requests running now (sequences lent). */
  get activeRequests(): number {
    return this.pool ? this.parallelism - this.pool.available : 0;
  }

  async load(): Promise<void> {
    if (this.pool) return;
    this.loading ??= this.doLoad().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async doLoad(): Promise<void> {
    if (!existsSync(this.path) || !statSync(this.path).isFile()) {
      throw new ModelNotFoundError(`No GGUF model file at '${this.path}'. Expected the path of a .gguf file.`, {
        details: { path: this.path },
      });
    }
    const llama = await runtime(this.options.gpu ?? false);
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: this.path });
    } catch (e) {
      throw new LlamaModelLoadError({ path: this.path, reason: (e as Error).message }, { cause: e });
    }
    const threads = this.options.threads ?? 1;
    const contextSize = this.options.contextSize ?? Math.min(model.trainContextSize, 4096);
    if (!Number.isInteger(contextSize) || contextSize < 16) {
      await model.dispose();
      throw invalidParameter('contextSize', 'an integer >= 16', contextSize);
    }
    let context: LlamaContext;
    try {
      context = await model.createContext({ sequences: this.parallelism, contextSize, threads });
    } catch (e) {
      await model.dispose();
      throw new LlamaModelLoadError(
        {
          path: this.path,
          reason: `no context of ${contextSize} tokens x ${this.parallelism} sequences: ${(e as Error).message}`,
        },
        { cause: e },
      );
    }
    const { resolveChatWrapper } = await import('node-llama-cpp');
    this.wrapper = resolveChatWrapper(model);
    const sequences = Array.from({ length: this.parallelism }, () => context.getSequence());
    this.model = model;
    this.context = context;
    this.size = context.contextSize;
    this.pool = new Pool(sequences);
  }

  async unload(): Promise<void> {
    await this.loading?.catch(() => undefined);
    const { model, context } = this;
    this.pool = undefined;
    this.context = undefined;
    this.model = undefined;
    this.grammarCache.clear();
    await context?.dispose();
    await model?.dispose();
  }

  private loaded(): { model: LlamaModel; pool: Pool<LlamaContextSequence>; wrapper: ChatWrapper } {
    this.assertLoaded();
    return { model: this.model!, pool: this.pool!, wrapper: this.wrapper! };
  }

  countTokens(text: string): number {
    return this.loaded().model.tokenize(text).length;
  }

  countChatTokens(messages: readonly ChatMessage[], options: Pick<ChatOptions, 'tools'> = {}): number {
    const history = toChatHistory(messages);
    const functions = options.tools?.length ? this.functionsOf(options.tools) : undefined;
    return this.promptTokens(history, functions);
  }

  private promptTokens(history: ChatHistoryItem[], functions: ChatModelFunctions | undefined): number {
    const { model, wrapper } = this.loaded();
    const last = history.at(-1);
    const full: ChatHistoryItem[] = last?.type === 'model' ? history : [...history, { type: 'model', response: [] }];
    const state = wrapper.generateContextState({ chatHistory: full, availableFunctions: functions });
    return state.contextText.tokenize(model.tokenizer).length;
  }

  private functionsOf(tools: readonly ChatTool[]): ChatModelFunctions {
    const out: Record<string, { description?: string; params?: unknown }> = {};
    for (const [i, t] of tools.entries()) {
      if (typeof t?.name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(t.name)) {
        throw invalidParameter(`tools[${i}].name`, 'a name of 1-64 letters, digits, _ or -', t?.name);
      }
      if (t.name in out)
        throw new InvalidArgumentError(`Two tools are named '${t.name}'. Give each tool a unique name.`, {
          details: { param: 'tools' },
        });
      out[t.name] = {
        ...(t.description ? { description: t.description } : {}),
        ...(t.parameters ? { params: toGrammarSchema(t.parameters, `tools[${i}].parameters`) } : {}),
      };
    }
    return out as ChatModelFunctions;
  }

  private grammar(key: string, make: (llama: Llama) => Promise<LlamaGrammar>): Promise<LlamaGrammar> {
    let g = this.grammarCache.get(key);
    if (!g) {
      g = runtime(this.options.gpu ?? false).then(make);
      g.catch(() => this.grammarCache.delete(key));
      if (this.grammarCache.size > 64) this.grammarCache.clear();
      this.grammarCache.set(key, g);
    }
    return g;
  }

  private async plan(messages: readonly ChatMessage[], options: ChatOptions): Promise<ChatPlan> {
    let history = toChatHistory(messages);
    const tools = options.tools ?? [];
    const choice = options.toolChoice ?? 'auto';
    const format = options.responseFormat ?? { type: 'text' };
    const useTools = tools.length > 0 && choice !== 'none';
    if (typeof choice === 'object' && !tools.some((t) => t.name === choice.name)) {
      throw new InvalidArgumentError(
        `tool_choice names '${choice.name}', which is not one of the tools (${tools.map((t) => t.name).join(', ') || 'none given'}).`,
        { details: { param: 'tool_choice' } },
      );
    }
    if (choice === 'required' && tools.length === 0) {
      throw new InvalidArgumentError("tool_choice 'required' needs at least one tool in tools.", {
        details: { param: 'tool_choice' },
      });
    }
    const functions = tools.length > 0 ? this.functionsOf(tools) : undefined; // validates every tool schema
    if (useTools && format.type !== 'text') {
      throw new LlmFeatureUnsupportedError({
        feature: 'response_format',
        reason:
          "node-llama-cpp cannot constrain the output with a grammar and offer functions at once. Send either tools or a JSON response_format (or tool_choice 'none').",
      });
    }
    if (useTools && choice === 'auto') return { history, functions, forcedTools: false };
    if (useTools) {
      // Forced tool call: a grammar of {"name": <one of the tools>, "arguments": <its parameters>}.
      const chosen = typeof choice === 'object' ? tools.filter((t) => t.name === choice.name) : tools;
      const branches = chosen.map((t) => ({
        type: 'object',
        properties: {
          name: { const: t.name },
          arguments: functions?.[t.name]?.params ?? { type: 'object', additionalProperties: true },
        },
        required: ['name', 'arguments'],
        additionalProperties: false,
      }));
      const schema = branches.length === 1 ? branches[0]! : { oneOf: branches };
      const grammar = await this.grammar(`tools:${JSON.stringify(schema)}`, (l) =>
        l.createGrammarForJsonSchema(schema as never),
      );
      history = [{ type: 'system', text: describeTools(chosen) }, ...history];
      return { history, grammar, forcedTools: true };
    }
    if (format.type === 'json_object') {
      return { history, grammar: await this.grammar('json', (l) => l.getGrammarFor('json')), forcedTools: false };
    }
    if (format.type === 'json_schema') {
      const schema = toGrammarSchema(format.schema, 'response_format.json_schema.schema');
      const grammar = await this.grammar(`schema:${JSON.stringify(schema)}`, (l) =>
        l.createGrammarForJsonSchema(schema as never),
      );
      return { history, grammar, forcedTools: false };
    }
    if ((format as { type: unknown }).type !== 'text') {
      throw invalidParameter(
        'responseFormat.type',
        "'text', 'json_object' or 'json_schema'",
        (format as { type: unknown }).type,
      );
    }
    return { history, forcedTools: false };
  }

  /** Checks the request fits in one sequence; returns the tokens the answer may use. */
  private budget(promptTokens: number, maxTokens: number | undefined): number {
    if (promptTokens >= this.size) throw new ContextOverflowError({ promptTokens, contextSize: this.size });
    if (maxTokens !== undefined && promptTokens + maxTokens > this.size) {
      throw new ContextOverflowError({ promptTokens, maxTokens, contextSize: this.size });
    }
    return maxTokens ?? this.size - promptTokens;
  }

  /** Runs `job` on a free sequence; on abort or failure the sequence is cleared before it goes back. */
  private async withSequence<T>(
    signal: AbortSignal | undefined,
    job: (s: LlamaContextSequence) => Promise<T>,
  ): Promise<T> {
    const pool = this.loaded().pool;
    const seq = await pool.acquire(signal);
    let clean = true;
    try {
      return await job(seq);
    } catch (e) {
      clean = false;
      if (signal?.aborted && !isRunError(e)) throw new AbortedError(undefined, { cause: signal.reason });
      throw e;
    } finally {
      if (!clean) await seq.clearHistory().catch(() => undefined);
      pool.release(seq);
    }
  }

  private async runChat(
    messages: readonly ChatMessage[],
    options: ChatOptions,
    onText?: (text: string) => void,
  ): Promise<ChatResult> {
    checkGeneration(options);
    if (options.tools !== undefined && !Array.isArray(options.tools))
      throw invalidParameter('tools', 'an array', options.tools);
    const { history, grammar, functions, forcedTools } = await this.plan(messages, options);
    const promptTokens = this.promptTokens(history, functions);
    const maxTokens = this.budget(promptTokens, options.maxTokens);
    const { LlamaChat } = await import('node-llama-cpp');
    return this.withSequence(options.signal, async (seq) => {
      const chat = new LlamaChat({ contextSequence: seq, chatWrapper: this.wrapper! });
      let completionTokens = 0;
      try {
        const common = {
          ...sampling(options, maxTokens),
          onToken: (t: readonly unknown[]) => (completionTokens += t.length),
          ...(onText && !forcedTools ? { onTextChunk: onText } : {}),
        };
        const r = functions
          ? await chat.generateResponse(history, { ...common, functions })
          : await chat.generateResponse(history, { ...common, ...(grammar ? { grammar } : {}) });
        if (r.metadata.stopReason === 'abort') throw new AbortedError(undefined, { cause: options.signal?.reason });
        const usage = { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
        if (forcedTools) {
          const call = this.parseForcedCall(r.response, r.metadata.stopReason);
          if (call) return { content: null, toolCalls: [call], finishReason: 'toolCalls', usage };
          return { content: r.response, toolCalls: [], finishReason: 'length', usage };
        }
        const toolCalls: ChatToolCall[] = (r.functionCalls ?? []).map((c) => ({
          id: callId(),
          name: c.functionName,
          arguments: JSON.stringify(c.params ?? {}),
        }));
        const finishReason = toolCalls.length > 0 ? 'toolCalls' : finishOf(r.metadata.stopReason);
        return {
          content: toolCalls.length > 0 && r.response === '' ? null : r.response,
          toolCalls,
          finishReason,
          usage,
        };
      } finally {
        chat.dispose();
      }
    });
  }

  private parseForcedCall(text: string, stopReason: string): ChatToolCall | undefined {
    if (stopReason === 'maxTokens') return undefined; // cut short: the JSON is incomplete
    const v = JSON.parse(text) as { name: string; arguments: unknown };
    return { id: callId(), name: v.name, arguments: JSON.stringify(v.arguments ?? {}) };
  }

  async chat(messages: readonly ChatMessage[], options: ChatOptions = {}): Promise<ChatResult> {
    return this.runChat(messages, options);
  }

  chatStream(messages: readonly ChatMessage[], options: ChatOptions = {}): AsyncIterable<ChatDelta> {
    return streamJob<ChatDelta>(options, async (signal, push) => {
      const r = await this.runChat(
        messages,
        { ...options, signal },
        (text) => text !== '' && push({ type: 'text', text }),
      );
      for (const [index, call] of r.toolCalls.entries()) push({ type: 'toolCall', index, call });
      push({ type: 'done', finishReason: r.finishReason, usage: r.usage });
    });
  }

  private async runCompletion(
    prompt: string,
    options: CompletionOptions,
    onText?: (text: string) => void,
  ): Promise<CompletionResult> {
    checkGeneration(options);
    if (typeof prompt !== 'string' || prompt === '') throw invalidParameter('prompt', 'a non-empty string', prompt);
    const { model } = this.loaded();
    const format = options.responseFormat ?? { type: 'text' };
    let grammar: LlamaGrammar | undefined;
    if (format.type === 'json_object') grammar = await this.grammar('json', (l) => l.getGrammarFor('json'));
    else if (format.type === 'json_schema') {
      const schema = toGrammarSchema(format.schema, 'response_format.json_schema.schema');
      grammar = await this.grammar(`schema:${JSON.stringify(schema)}`, (l) =>
        l.createGrammarForJsonSchema(schema as never),
      );
    }
    const promptTokens = model.tokenize(prompt).length;
    const maxTokens = this.budget(promptTokens, options.maxTokens);
    const { LlamaCompletion } = await import('node-llama-cpp');
    return this.withSequence(options.signal, async (seq) => {
      const completion = new LlamaCompletion({ contextSequence: seq });
      let completionTokens = 0;
      try {
        const r = await completion.generateCompletionWithMeta(prompt, {
          ...sampling(options, maxTokens),
          ...(grammar ? { grammar } : {}),
          onToken: (t) => (completionTokens += t.length),
          ...(onText ? { onTextChunk: onText } : {}),
        });
        if (r.metadata.stopReason === 'abort') throw new AbortedError(undefined, { cause: options.signal?.reason });
        return {
          text: r.response,
          finishReason: r.metadata.stopReason === 'maxTokens' ? 'length' : 'stop',
          usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens },
        };
      } finally {
        completion.dispose();
      }
    });
  }

  async complete(prompt: string, options: CompletionOptions = {}): Promise<CompletionResult> {
    return this.runCompletion(prompt, options);
  }

  completeStream(prompt: string, options: CompletionOptions = {}): AsyncIterable<CompletionDelta> {
    return streamJob<CompletionDelta>(options, async (signal, push) => {
      const r = await this.runCompletion(
        prompt,
        { ...options, signal },
        (text) => text !== '' && push({ type: 'text', text }),
      );
      push({ type: 'done', finishReason: r.finishReason, usage: r.usage });
    });
  }
}

/**
 * Opens a GGUF chat model with node-llama-cpp's prebuilt CPU binary (it never downloads or compiles anything).
 * @example
 * const llm = await loadLlamaModel('.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf');
 * const r = await llm.chat([{ role: 'user', content: 'What is the capital of France?' }], { maxTokens: 24 });
 * console.log(r.content); // The capital of France is Paris.
 */
export async function loadLlamaModel(path: string, options: LlamaModelOptions = {}): Promise<LlamaChatBackend> {
  if (typeof path !== 'string' || path === '') throw invalidParameter('path', 'the path of a .gguf file', path);
  const backend = new LlamaChatBackend(path, options);
  if (options.load !== false) await backend.load();
  return backend;
}
