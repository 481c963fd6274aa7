import { RunError, type RunErrorOptions } from '@llama-pajamas/run-core';

/** Error codes of the model manager; `docs/errors.md` has a "How to solve" row for each. */
export const MODELS_ERROR_CODES = [
  'ERR_RUN_MODELS_NETWORK',
  'ERR_RUN_MODELS_UNAUTHORIZED',
  'ERR_RUN_MODELS_REPO_NOT_FOUND',
  'ERR_RUN_MODELS_REVISION_NOT_FOUND',
  'ERR_RUN_MODELS_ENTRY_NOT_FOUND',
  'ERR_RUN_MODELS_HTTP',
  'ERR_RUN_MODELS_HUB_PROTOCOL',
  'ERR_RUN_MODELS_CHECKSUM_MISMATCH',
  'ERR_RUN_MODELS_DISK_FULL',
  'ERR_RUN_MODELS_LOCK_TIMEOUT',
  'ERR_RUN_MODELS_NOT_CACHED',
  'ERR_RUN_MODELS_UNKNOWN_MODEL',
  'ERR_RUN_MODELS_INVALID_REF',
] as const;

/** One of {@link MODELS_ERROR_CODES}. */
export type ModelsErrorCode = (typeof MODELS_ERROR_CODES)[number];

/** Base class of the model manager's errors (a {@link RunError} with an `ERR_RUN_MODELS_*` code). */
export class ModelsError extends RunError {
  override name = 'ModelsError';
  declare readonly code: ModelsErrorCode;
  constructor(code: ModelsErrorCode, message: string, options?: RunErrorOptions) {
    super(code, message, options);
  }
}

/** The hub (or the host it redirected to) could not be reached, or the connection broke and retries ran out. */
export class HubNetworkError extends ModelsError {
  override name = 'HubNetworkError';
  constructor(args: { url: string; reason: string }, options?: RunErrorOptions) {
    super(
      'ERR_RUN_MODELS_NETWORK',
      `Could not download ${args.url}: ${args.reason}. Check the network (or HF_ENDPOINT); a partly downloaded file is kept as .incomplete and the next pull resumes it. Without a network, set HF_HUB_OFFLINE=1 to use only what is cached.`,
      { ...options, details: { url: args.url, ...options?.details } },
    );
  }
}

/** 401/403: the repository is private or gated and no (or a wrong) token was sent. */
export class HubUnauthorizedError extends ModelsError {
  override name = 'HubUnauthorizedError';
  constructor(args: { repo: string; status: number; hasToken: boolean; hubMessage?: string }) {
    const what = args.status === 403 ? 'refused access (403, a gated repository?)' : 'asked for authentication (401)';
    const fix = args.hasToken
      ? 'The token that was sent is not allowed: accept the model’s terms on its hub page and check the token’s scopes.'
      : 'Set HF_TOKEN (or log in so that HF_HOME/token exists) with a token that may read it.';
    super(
      'ERR_RUN_MODELS_UNAUTHORIZED',
      `The hub ${what} for ${args.repo}${args.hubMessage ? ` ("${args.hubMessage}")` : ''}. ${fix}`,
      { details: { repo: args.repo, status: args.status } },
    );
  }
}

/** 404 `RepoNotFound`: no such repository (or it is private and no token was sent). */
export class RepoNotFoundError extends ModelsError {
  override name = 'RepoNotFoundError';
  constructor(args: { repo: string }) {
    super(
      'ERR_RUN_MODELS_REPO_NOT_FOUND',
      `The hub has no repository "${args.repo}". Check the spelling (org/name); a private repository also needs HF_TOKEN.`,
      { details: { repo: args.repo } },
    );
  }
}

/** 404 `RevisionNotFound`: the repository exists but not that branch, tag or commit. */
export class RevisionNotFoundError extends ModelsError {
  override name = 'RevisionNotFoundError';
  constructor(args: { repo: string; revision: string }) {
    super(
      'ERR_RUN_MODELS_REVISION_NOT_FOUND',
      `The hub repository "${args.repo}" has no revision "${args.revision}". Expected a branch, tag or commit hash; drop "@${args.revision}" for the default branch.`,
      { details: { ...args } },
    );
  }
}

/** 404 `EntryNotFound`: the repository has no such file at that revision. */
export class EntryNotFoundError extends ModelsError {
  override name = 'EntryNotFoundError';
  constructor(args: { repo: string; revision: string; path: string }) {
    super(
      'ERR_RUN_MODELS_ENTRY_NOT_FOUND',
      `The hub repository "${args.repo}" has no file "${args.path}" at revision "${args.revision}". Check the file list on its hub page (or --include / --dtype).`,
      { details: { ...args } },
    );
  }
}

/** Any other unexpected HTTP status. */
export class HubHttpError extends ModelsError {
  override name = 'HubHttpError';
  constructor(args: { url: string; status: number; hubMessage?: string }) {
    super(
      'ERR_RUN_MODELS_HTTP',
      `The hub answered ${args.status} for ${args.url}${args.hubMessage ? ` ("${args.hubMessage}")` : ''}. Expected 200, 206 or a redirect; try again later or check HF_ENDPOINT.`,
      { details: { ...args } },
    );
  }
}

/** The server answered without the headers of the hub protocol (X-Repo-Commit, an ETag…): not a hub. */
export class HubProtocolError extends ModelsError {
  override name = 'HubProtocolError';
  constructor(args: { url: string; missing: string }) {
    super(
      'ERR_RUN_MODELS_HUB_PROTOCOL',
      `${args.url} answered without ${args.missing}, which every Hugging Face hub sends. Check that HF_ENDPOINT points at a hub (or a hub mirror), not a plain web server or proxy page.`,
      { details: { ...args } },
    );
  }
}

/** The downloaded bytes do not hash (or size) to what the hub announced; the partial file was removed. */
export class ChecksumMismatchError extends ModelsError {
  override name = 'ChecksumMismatchError';
  constructor(args: { repo: string; path: string; expected: string; actual: string }) {
    super(
      'ERR_RUN_MODELS_CHECKSUM_MISMATCH',
      `The download of ${args.repo}/${args.path} is corrupt: expected ${args.expected} but received ${args.actual}. The bad file was removed and nothing was cached; pull again (a proxy that rewrites files causes this every time).`,
      { details: { ...args } },
    );
  }
}

/** ENOSPC while writing to the cache. */
export class DiskFullError extends ModelsError {
  override name = 'DiskFullError';
  constructor(args: { path: string; needed?: number }, options?: RunErrorOptions) {
    super(
      'ERR_RUN_MODELS_DISK_FULL',
      `The disk is full while writing ${args.path}${args.needed ? ` (the file needs ${args.needed} bytes)` : ''}. The partial file was removed. Free space (\`llama-pajamas models rm <name>\`) or point HF_HUB_CACHE at a bigger disk.`,
      { ...options, details: { ...args } },
    );
  }
}

/** Another process held a file's download lock for longer than allowed. */
export class LockTimeoutError extends ModelsError {
  override name = 'LockTimeoutError';
  constructor(args: { lockPath: string; waitedMs: number }) {
    super(
      'ERR_RUN_MODELS_LOCK_TIMEOUT',
      `Another download of the same file held ${args.lockPath} for ${Math.round(args.waitedMs / 1000)} s. Wait for it to finish, or remove the lock if no other pull is running.`,
      { details: { ...args } },
    );
  }
}

/** The model is not in the cache and downloading is off (offline). */
export class ModelNotCachedError extends ModelsError {
  override name = 'ModelNotCachedError';
  /** The exact command that puts the model in the cache. */
  readonly pullCommand: string;
  constructor(args: { ref: string; pullCommand: string; why: string }) {
    super(
      'ERR_RUN_MODELS_NOT_CACHED',
      `The model ${args.ref} is not in the cache (${args.why}) and downloads are off (offline). Run \`${args.pullCommand}\` on a machine with a network, or unset HF_HUB_OFFLINE.`,
      { details: { ...args } },
    );
    this.pullCommand = args.pullCommand;
  }
}

/** A name that is neither in the catalog, nor an `hf:` reference, nor an existing path. */
export class UnknownModelError extends ModelsError {
  override name = 'UnknownModelError';
  constructor(args: { ref: string; known: readonly string[] }) {
    super(
      'ERR_RUN_MODELS_UNKNOWN_MODEL',
      `"${args.ref}" is not a catalog name, an hf:org/name reference or an existing path. Catalog names: ${args.known.join(', ')}. See \`llama-pajamas models list --catalog\`.`,
      { details: { ref: args.ref } },
    );
  }
}

/** A malformed model reference or repository id. */
export class InvalidModelRefError extends ModelsError {
  override name = 'InvalidModelRefError';
  constructor(args: { ref: string; expected: string }) {
    super('ERR_RUN_MODELS_INVALID_REF', `Expected ${args.expected} but received "${args.ref}".`, {
      details: { ...args },
    });
  }
}
