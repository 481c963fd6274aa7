import { randomBytes } from 'node:crypto';
import { invalidParameter, type FinishReason, type GenerationOptions } from '@llama-pajamas/run-core';

/** A fresh OpenAI-style tool call id. */
export function callId(): string {
  return `call_${randomBytes(12).toString('base64url')}`;
}

/** The OpenAI finish reason of a node-llama-cpp stop reason. */
export function finishOf(stopReason: string): FinishReason {
  if (stopReason === 'maxTokens') return 'length';
  if (stopReason === 'functionCalls') return 'toolCalls';
  return 'stop';
}

/** Throws a typed error for generation options out of range. */
export function checkGeneration(options: GenerationOptions): void {
  const { maxTokens, temperature, topP, topK, seed, stop } = options;
  if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || maxTokens < 1)) {
    throw invalidParameter('maxTokens', 'a positive integer', maxTokens);
  }
  if (temperature !== undefined && !(temperature >= 0 && temperature <= 2)) {
    throw invalidParameter('temperature', 'a number in [0, 2]', temperature);
  }
  if (topP !== undefined && !(topP > 0 && topP <= 1)) throw invalidParameter('topP', 'a number in (0, 1]', topP);
  if (topK !== undefined && (!Number.isInteger(topK) || topK < 0))
    throw invalidParameter('topK', 'an integer >= 0', topK);
  if (seed !== undefined && !Number.isInteger(seed)) throw invalidParameter('seed', 'an integer', seed);
  if (stop !== undefined && (!Array.isArray(stop) || stop.some((s) => typeof s !== 'string' || s === ''))) {
    throw invalidParameter('stop', 'an array of non-empty strings', stop);
  }
}

/** node-llama-cpp's sampling and stopping options for a request (greedy unless a temperature is given). */
export function sampling(options: GenerationOptions, maxTokens: number) {
  return {
    maxTokens,
    temperature: options.temperature ?? 0,
    ...(options.topP === undefined ? {} : { topP: options.topP }),
    ...(options.topK === undefined ? {} : { topK: options.topK }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.stop?.length ? { customStopTriggers: options.stop } : {}),
    signal: options.signal,
  };
}
