import { RunError } from '@llama-pajamas/run-core';

/** Error codes of the playground package; each has a row in docs/errors.md. */
export const PLAYGROUND_ERROR_CODES = ['ERR_RUN_PLAYGROUND_ASSETS_MISSING'] as const;

/** One of {@link PLAYGROUND_ERROR_CODES}. */
export type PlaygroundErrorCode = (typeof PLAYGROUND_ERROR_CODES)[number];

/** The built page (index.html, app.js, style.css) is not in the folder the plugin serves from. */
export class PlaygroundAssetsMissingError extends RunError {
  override name = 'PlaygroundAssetsMissingError';
  constructor(args: { dir: string; file: string; cause?: unknown }) {
    super(
      'ERR_RUN_PLAYGROUND_ASSETS_MISSING',
      `The playground page is not built: ${args.file} is missing from ${args.dir}. ` +
        'Expected the files that `pnpm --filter @llama-pajamas/playground build` writes to dist/app/. ' +
        'Build the package (or reinstall it from npm), or serve without the playground (`--no-playground`).',
      { cause: args.cause, details: { dir: args.dir, file: args.file } },
    );
  }
}
