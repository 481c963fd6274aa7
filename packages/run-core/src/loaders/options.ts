import type { ModelDtype, SessionOptions } from '../session.js';

/** Options every run-core `loadX(path, options)` takes, beside its family's own. */
export interface LoaderOptions {
  /** Runtime name(s) to try through the registry, in order (default: the registered runtimes by priority). */
  readonly runtime?: string | readonly string[];
  /** Options for every session the loader opens. */
  readonly session?: SessionOptions;
  /** Which export to open (default: the runtime's `dtypePreference`, the first whose files exist). */
  readonly dtype?: ModelDtype;
  /** Id used in messages and results (default: the file or folder name). */
  readonly modelId?: string;
  /** Open the sessions now (default `true`); `false` returns a backend that opens them on `load()`. */
  readonly load?: boolean;
}
