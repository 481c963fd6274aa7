import { RunError, type RunErrorCode } from '@llama-pajamas/run-core';

/** The `type` field of an OpenAI error envelope. */
export type ApiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'server_error'
  | 'not_implemented_error'
  | 'timeout_error';

/** The OpenAI error envelope every non-2xx response carries. */
export interface ApiErrorBody {
  error: { message: string; type: ApiErrorType; param: string | null; code: string | null };
}

/** Options of {@link ApiError}. */
export interface ApiErrorOptions {
  type?: ApiErrorType;
  param?: string | null;
  code?: string | null;
  /** Extra response headers (e.g. `Retry-After`). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * An error that the server answers with a given status and the OpenAI error envelope.
 * @example
 * throw new ApiError(404, "The model 'x' does not exist.", { code: 'model_not_found', param: 'model' });
 */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly type: ApiErrorType;
  readonly param: string | null;
  readonly code: string | null;
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, options: ApiErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.type = options.type ?? defaultType(status);
    this.param = options.param ?? null;
    this.code = options.code ?? null;
    this.headers = options.headers ?? {};
  }

  /** The JSON body of this error. */
  toBody(): ApiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

function defaultType(status: number): ApiErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 501) return 'not_implemented_error';
  if (status === 504) return 'timeout_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/**
 * The one table that maps each run-core error code to an HTTP status and an OpenAI error `type`.
 * Client mistakes (bad input, unknown speaker) are 4xx; a model that cannot do the task is 400; a runtime that is
 * missing is 501; a failed model run is 500.
 */
export const RUN_ERROR_STATUS: Readonly<Record<RunErrorCode, { status: number; type: ApiErrorType }>> &
  Readonly<Partial<Record<string, { status: number; type: ApiErrorType }>>> = {
  ERR_RUN_INVALID_ARGUMENT: { status: 400, type: 'invalid_request_error' },
  ERR_RUN_IMAGE_DECODE: { status: 400, type: 'invalid_request_error' },
  ERR_RUN_IMAGE_TOO_LARGE: { status: 413, type: 'invalid_request_error' },
  ERR_RUN_AUDIO_DECODE: { status: 400, type: 'invalid_request_error' },
  ERR_RUN_AUDIO_UNSUPPORTED_FORMAT: { status: 415, type: 'invalid_request_error' },
  ERR_RUN_AUDIO_TOO_LONG: { status: 413, type: 'invalid_request_error' },
  ERR_RUN_TEXT_TOO_LONG: { status: 400, type: 'invalid_request_error' },
  ERR_RUN_TENSOR_SHAPE: { status: 500, type: 'server_error' },
  ERR_RUN_MODEL_NOT_FOUND: { status: 404, type: 'not_found_error' },
  ERR_RUN_MODEL_UNRECOGNIZED: { status: 500, type: 'server_error' },
  ERR_RUN_MODEL_OUTPUT_MISMATCH: { status: 500, type: 'server_error' },
  ERR_RUN_MODEL_NOT_LOADED: { status: 503, type: 'server_error' },
  ERR_RUN_UNSUPPORTED_OPERATION: { status: 400, type: 'invalid_request_error' },
  ERR_RUN_INFERENCE: { status: 500, type: 'server_error' },
  ERR_RUN_SESSION_DISPOSED: { status: 503, type: 'server_error' },
  ERR_RUN_BACKEND_NOT_FOUND: { status: 501, type: 'not_implemented_error' },
  ERR_RUN_LANGUAGE_UNSUPPORTED: { status: 400, type: 'invalid_request_error' },
  ERR_RUN_SPEAKER_UNKNOWN: { status: 400, type: 'invalid_request_error' },
  // The voice needs a phonemizer (espeak-ng) the server cannot find: an installation problem, not the client's.
  ERR_RUN_PHONEMIZER_NOT_FOUND: { status: 501, type: 'not_implemented_error' },
  ERR_RUN_ABORTED: { status: 499, type: 'invalid_request_error' },
  ERR_RUN_TIMEOUT: { status: 504, type: 'timeout_error' },
  ERR_RUN_WORKER_EXITED: { status: 503, type: 'server_error' },
  ERR_RUN_COREML_UNSUPPORTED_PLATFORM: { status: 501, type: 'not_implemented_error' },
  ERR_RUN_COREML_BINDING_NOT_FOUND: { status: 501, type: 'not_implemented_error' },
  // A CoreML feature this binding or this macOS cannot serve (image inputs, MLState before macOS 15).
  ERR_RUN_COREML_UNSUPPORTED_FEATURE: { status: 501, type: 'not_implemented_error' },
  ERR_RUN_COREML_COMPILE: { status: 500, type: 'server_error' },
  ERR_RUN_COREML_LOAD: { status: 500, type: 'server_error' },
  ERR_RUN_COREML_PREDICTION: { status: 500, type: 'server_error' },
  ERR_RUN_COREML_SPEC_INVALID: { status: 500, type: 'server_error' },
  ERR_RUN_CONVERTER_PYTHON_NOT_FOUND: { status: 501, type: 'not_implemented_error' },
  ERR_RUN_CONVERTER_FAILED: { status: 500, type: 'server_error' },
  // Chat models (run-core's ERR_RUN_LLM_* codes; run-llama's own ERR_RUN_LLAMA_* codes).
  ERR_RUN_LLM_CONTEXT_OVERFLOW: { status: 400, type: 'invalid_request_error' },
  ERR_RUN_LLM_SCHEMA_UNSUPPORTED: { status: 400, type: 'invalid_request_error' },
  ERR_RUN_LLM_INVALID_MESSAGES: { status: 400, type: 'invalid_request_error' },
  ERR_RUN_LLM_UNSUPPORTED_FEATURE: { status: 400, type: 'invalid_request_error' },
  ERR_RUN_LLAMA_MODEL_LOAD: { status: 500, type: 'server_error' },
  ERR_RUN_LLAMA_RUNTIME: { status: 501, type: 'not_implemented_error' },
};

/** Fastify and @fastify/multipart error codes mapped to statuses (everything else from Fastify keeps its own). */
const FRAMEWORK_STATUS: Readonly<Record<string, number>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 413,
  FST_REQ_FILE_TOO_LARGE: 413,
  FST_PARTS_LIMIT: 413,
  FST_FILES_LIMIT: 413,
  FST_FIELDS_LIMIT: 413,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 415,
  FST_INVALID_MULTIPART_CONTENT_TYPE: 415,
  FST_ERR_CTP_INVALID_JSON_BODY: 400,
  FST_ERR_CTP_EMPTY_JSON_BODY: 400,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 400,
  FST_PROTO_VIOLATION: 400,
  FST_ERR_VALIDATION: 400,
};

/** Turns any thrown value into an {@link ApiError}; unknown errors become 500 `server_error`. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof RunError) {
    const row = RUN_ERROR_STATUS[error.code] ?? { status: 500, type: 'server_error' as const };
    const param = typeof error.details.param === 'string' ? error.details.param : null;
    return new ApiError(row.status, error.message, { type: row.type, code: error.code, param, cause: error });
  }
  if (error !== null && typeof error === 'object') {
    const e = error as { code?: unknown; statusCode?: unknown; message?: unknown; validation?: unknown };
    const code = typeof e.code === 'string' ? e.code : undefined;
    const message = typeof e.message === 'string' ? e.message : 'Request failed.';
    if (Array.isArray(e.validation)) {
      const first = e.validation[0] as { instancePath?: string; params?: { missingProperty?: string } } | undefined;
      const path = first?.params?.missingProperty ?? first?.instancePath?.replace(/^\//, '').replace(/\//g, '.');
      return new ApiError(400, message, { code: 'invalid_value', param: path || null, cause: error });
    }
    const mapped = code === undefined ? undefined : FRAMEWORK_STATUS[code];
    if (mapped !== undefined) return new ApiError(mapped, message, { code: code ?? null, cause: error });
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return new ApiError(e.statusCode, message, { code: code ?? null, cause: error });
    }
  }
  return new ApiError(500, 'The server had an error while processing your request.', {
    code: 'internal_error',
    cause: error,
  });
}

/** 400 for a bad or missing request parameter, in OpenAI's words. */
export function badParam(param: string, message: string, code = 'invalid_value'): ApiError {
  return new ApiError(400, message, { param, code });
}
