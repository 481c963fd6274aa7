import { RunError, type RunErrorOptions } from '@llama-pajamas/run-core';

/** Error codes owned by the converters package; each has a row in docs/errors.md. */
export const CONVERTER_ERROR_CODES = [
  'ERR_RUN_CONVERTER_PYTHON_NOT_FOUND',
  'ERR_RUN_CONVERTER_FAILED',
  'ERR_RUN_CONVERTER_INSTALL_FAILED',
  'ERR_RUN_CONVERTER_DEPS_MISSING',
  'ERR_RUN_CONVERTER_SOURCE_NOT_FOUND',
  'ERR_RUN_CONVERTER_SOURCE_INVALID',
  'ERR_RUN_CONVERTER_UNSUPPORTED',
  'ERR_RUN_CONVERTER_INVALID_OPTION',
  'ERR_RUN_CONVERTER_OUTPUT_EXISTS',
  'ERR_RUN_CONVERTER_PARITY_FAILED',
  'ERR_RUN_CONVERTER_PARITY_INPUT',
] as const;

/** One of {@link CONVERTER_ERROR_CODES}. */
export type ConverterErrorCode = (typeof CONVERTER_ERROR_CODES)[number];

/** The command that installs the converter environment, named in every "missing" error. */
export const SETUP_COMMAND = 'llama-pajamas convert setup';

/** Base class of the converter errors. */
export class ConverterError extends RunError {
  override name = 'ConverterError';
  declare readonly code: ConverterErrorCode;
  constructor(code: ConverterErrorCode, message: string, options?: RunErrorOptions) {
    super(code, message, options);
  }
}

/** No Python 3.10-3.12 interpreter was found to create the converter environment with. */
export class PythonNotFoundError extends ConverterError {
  override name = 'PythonNotFoundError';
  constructor(args: { tried: readonly string[]; found?: readonly string[] }) {
    const found = args.found?.length ? ` Found only: ${args.found.join(', ')}.` : '';
    super(
      'ERR_RUN_CONVERTER_PYTHON_NOT_FOUND',
      `No Python 3.10-3.12 with venv support for the converters (tried ${args.tried.join(', ')}).${found} ` +
        'Install one (Debian/Ubuntu: `apt-get install python3.11 python3.11-venv`; macOS: `brew install python@3.11`) ' +
        `or point LLAMA_PAJAMAS_PYTHON at it, then run \`${SETUP_COMMAND}\`.`,
      { details: { ...args } },
    );
  }
}

/** Creating the venv or `pip install -r requirements.txt` failed. */
export class ConverterInstallError extends ConverterError {
  override name = 'ConverterInstallError';
  constructor(args: { venv: string; command: readonly string[]; exitCode: number | null; output: string }) {
    super(
      'ERR_RUN_CONVERTER_INSTALL_FAILED',
      `Installing the converter environment in ${args.venv} failed (exit ${args.exitCode}) running ` +
        `\`${args.command.join(' ')}\`. Its last output:\n${args.output.trim()}\n` +
        `PyPI must be reachable (or pip configured for a mirror). Remove ${args.venv} and run \`${SETUP_COMMAND}\` again.`,
      { details: { venv: args.venv, command: args.command, exitCode: args.exitCode } },
    );
  }
}

/** The interpreter given with `python` / LLAMA_PAJAMAS_CONVERTERS_PYTHON lacks coremltools or torch. */
export class ConverterDepsMissingError extends ConverterError {
  override name = 'ConverterDepsMissingError';
  constructor(args: { python: string; requirements: string; output: string }) {
    super(
      'ERR_RUN_CONVERTER_DEPS_MISSING',
      `${args.python} cannot run the converters (coremltools, torch and the rest must import): ${args.output.trim()} ` +
        `Install them with \`${args.python} -m pip install -r ${args.requirements}\`, or drop the python option and ` +
        `let \`${SETUP_COMMAND}\` make its own environment.`,
      { details: { python: args.python, requirements: args.requirements } },
    );
  }
}

/** A failure the Python converter reported (its code is kept; stderr's tail is in `details.stderr`). */
export class ConversionError extends ConverterError {
  override name = 'ConversionError';
  constructor(args: {
    code: ConverterErrorCode;
    message: string;
    family: string;
    details?: Record<string, unknown>;
    stderr?: string;
  }) {
    const hint: Partial<Record<ConverterErrorCode, string>> = {
      ERR_RUN_CONVERTER_PARITY_FAILED:
        'Retry with `fallback: "fp32"` (`--fallback fp32`), another `quantize`, or real inputs in `parityInputs`.',
      ERR_RUN_CONVERTER_FAILED:
        'The Python trace is in details.stderr; see docs/converters.md for what each family supports.',
    };
    super(args.code, `${args.family}: ${args.message}${hint[args.code] ? ` ${hint[args.code]}` : ''}`, {
      details: { family: args.family, ...args.details, ...(args.stderr ? { stderr: args.stderr } : {}) },
    });
  }
}

/** Narrows `unknown` to a converter code. */
export function isConverterErrorCode(code: unknown): code is ConverterErrorCode {
  return typeof code === 'string' && (CONVERTER_ERROR_CODES as readonly string[]).includes(code);
}
