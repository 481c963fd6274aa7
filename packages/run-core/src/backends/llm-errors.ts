import { RunError, type RunErrorOptions } from '../errors.js';

/** Error codes of chat models (every {@link LLMBackend}); each has a row in `docs/errors.md`. */
export const LLM_ERROR_CODES = [
  'ERR_RUN_LLM_CONTEXT_OVERFLOW',
  'ERR_RUN_LLM_SCHEMA_UNSUPPORTED',
  'ERR_RUN_LLM_INVALID_MESSAGES',
  'ERR_RUN_LLM_UNSUPPORTED_FEATURE',
] as const;

/** One of {@link LLM_ERROR_CODES}. */
export type LlmErrorCode = (typeof LLM_ERROR_CODES)[number];

/** Facts of a {@link ContextOverflowError}. */
export interface ContextOverflowFacts {
  /** Tokens of the prompt (messages, template and tool definitions). */
  promptTokens: number;
  /** Tokens asked for (`maxTokens`); absent when the prompt alone does not fit. */
  maxTokens?: number;
  /** Tokens one sequence of the model's context holds. */
  contextSize: number;
}

/** The prompt plus the tokens asked for do not fit in the model's context window. */
export class ContextOverflowError extends RunError {
  override name = 'ContextOverflowError';
  constructor(facts: ContextOverflowFacts, options: RunErrorOptions = {}) {
    const { promptTokens, maxTokens, contextSize } = facts;
    const message =
      maxTokens === undefined || promptTokens >= contextSize
        ? `The prompt has ${promptTokens} tokens but the model's context holds ${contextSize} tokens. Shorten the messages (or serve the model with a larger context size).`
        : `The prompt has ${promptTokens} tokens and max_tokens asks for ${maxTokens} more, but the model's context holds ${contextSize} tokens. Lower max_tokens to at most ${contextSize - promptTokens} or shorten the messages.`;
    super('ERR_RUN_LLM_CONTEXT_OVERFLOW', message, {
      ...options,
      details: {
        param: maxTokens === undefined || promptTokens >= contextSize ? 'messages' : 'max_tokens',
        ...facts,
        ...options.details,
      },
    });
  }
}

/** Facts of a {@link SchemaUnsupportedError}. */
export interface SchemaUnsupportedFacts {
  /** JSON pointer of the schema node, e.g. `#/properties/age`. */
  path: string;
  /** The keyword (or value) that cannot be enforced, e.g. `pattern`. */
  keyword: string;
  /** The request parameter the schema came from (`response_format` or `tools`). */
  param: string;
  /** What is supported instead, when there is something to say. */
  hint?: string;
}

/** A JSON Schema uses a feature the grammar cannot enforce (or is not a valid schema). */
export class SchemaUnsupportedError extends RunError {
  override name = 'SchemaUnsupportedError';
  constructor(facts: SchemaUnsupportedFacts, options: RunErrorOptions = {}) {
    super(
      'ERR_RUN_LLM_SCHEMA_UNSUPPORTED',
      `The JSON schema in ${facts.param} uses '${facts.keyword}' at ${facts.path}, which grammar-constrained output cannot enforce. ${facts.hint ?? 'Remove it (see docs/api.md#structured-output for the supported keywords).'}`,
      { ...options, details: { ...facts, ...options.details } },
    );
  }
}

/** Facts of an {@link InvalidMessagesError}. */
export interface InvalidMessagesFacts {
  /** Index of the message at fault, when one is. */
  index?: number;
  /** What is wrong and what is expected. */
  problem: string;
  /** The request parameter (default `messages`). */
  param?: string;
}

/** The conversation is not one a chat model can take (empty, a bad role, a tool result without its call…). */
export class InvalidMessagesError extends RunError {
  override name = 'InvalidMessagesError';
  constructor(facts: InvalidMessagesFacts, options: RunErrorOptions = {}) {
    const where = facts.index === undefined ? (facts.param ?? 'messages') : `messages[${facts.index}]`;
    super('ERR_RUN_LLM_INVALID_MESSAGES', `Invalid ${where}: ${facts.problem}`, {
      ...options,
      details: { param: facts.param ?? 'messages', ...facts, ...options.details },
    });
  }
}

/** Facts of an {@link LlmFeatureUnsupportedError}. */
export interface LlmFeatureUnsupportedFacts {
  /** The request parameter, e.g. `logprobs`. */
  feature: string;
  /** Why it cannot be served and what to do instead. */
  reason: string;
}

/** The request asks for something this chat runtime does not provide (logprobs, tools with a response format…). */
export class LlmFeatureUnsupportedError extends RunError {
  override name = 'LlmFeatureUnsupportedError';
  constructor(facts: LlmFeatureUnsupportedFacts, options: RunErrorOptions = {}) {
    super('ERR_RUN_LLM_UNSUPPORTED_FEATURE', `'${facts.feature}' is not supported here: ${facts.reason}`, {
      ...options,
      details: { param: facts.feature, ...facts, ...options.details },
    });
  }
}
