import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The Objective-C++ addon cannot be built or run off macOS. This compiles it with `clang -fsyntax-only -fobjc-arc`
// against GNUstep's Foundation headers and native/coreml/test/sdk-stubs/CoreML/CoreML.h (declarations only, from
// Apple's API reference), with node-addon-api's and Node's real headers: syntax, types, selectors, ARC rules
// and N-API usage are checked; behaviour is not (that is test/darwin on macOS).
// tools/test/setup-coreml.sh installs clang, libgnustep-base-dev and libblocksruntime-dev.

const nativeDir = fileURLToPath(new URL('../../../native/coreml/', import.meta.url));
const clang = spawnSync('clang', ['--version']).status === 0;
const gnustep = existsSync('/usr/include/GNUstep/Foundation/Foundation.h') && existsSync('/usr/include/Block.h');
// Debian builds GNUstep against gcc's libobjc, whose headers sit in gcc's private include folder.
const subdirs = (d: string): string[] => (existsSync(d) ? readdirSync(d).map((n) => join(d, n)) : []);
const gccObjc = subdirs('/usr/lib/gcc')
  .flatMap(subdirs)
  .map((d) => join(d, 'include', 'objc', 'objc.h'))
  .find((f) => existsSync(f));
const nodeHeaders = [join(dirname(dirname(process.execPath)), 'include', 'node'), '/usr/include/node'].find((d) =>
  existsSync(join(d, 'node_api.h')),
);
const ready = clang && gnustep && gccObjc !== undefined && nodeHeaders !== undefined;
const addonApi = ready
  ? dirname(createRequire(join(nativeDir, 'package.json')).resolve('node-addon-api/package.json'))
  : '';

// One known incompatibility of the platform headers, not of our code: gcc's <objc/runtime.h> dereferences `id`
// in an inline function (object_getClass), which clang's GNUstep runtime mode forbids.
const TOLERATED =
  /\/include\/objc\/runtime\.h:\d+:\d+: error: member reference base type 'id' is not a structure or union/;

interface Diagnostic {
  file: string;
  line: string;
  kind: 'error' | 'warning';
}

/**
 * The SDKs the sources must compile against (`__MAC_OS_X_VERSION_MAX_ALLOWED`; the stub header leaves out what an
 * SDK lacks): macOS 15 (Xcode 16), 14.4 (Xcode 15.3-15.4, the default on GitHub's macos-14 runners: no MLState)
 * and 14.0 (Xcode 15.0-15.2: no MLComputePlan either).
 */
const SDKS = { 'macOS 15 SDK': 150000, 'macOS 14.4 SDK': 140400, 'macOS 14.0 SDK': 140000 } as const;

function check(file: string, sdk: number = SDKS['macOS 15 SDK']): { diagnostics: Diagnostic[]; output: string } {
  const args = [
    '-fsyntax-only',
    '-ferror-limit=0',
    '-x',
    'objective-c++',
    '-std=c++17',
    '-fobjc-arc',
    '-fblocks',
    '-fexceptions',
    '-fobjc-runtime=gnustep-2.0',
    '-Wall',
    '-Wextra',
    '-Wno-unused-parameter',
    '-DNAPI_VERSION=8',
    '-DNAPI_CPP_EXCEPTIONS',
    '-DNODE_ADDON_API_DISABLE_DEPRECATED',
    '-DGNUSTEP',
    '-DGNUSTEP_BASE_LIBRARY=1',
    '-DGNU_RUNTIME=1',
    `-D__MAC_OS_X_VERSION_MAX_ALLOWED=${sdk}`,
    '-I',
    join(nativeDir, 'test', 'sdk-stubs'),
    '-isystem',
    '/usr/include/GNUstep',
    '-isystem',
    dirname(dirname(gccObjc!)),
    '-isystem',
    addonApi,
    '-isystem',
    nodeHeaders!,
    file,
  ];
  const result = spawnSync('clang', args, { encoding: 'utf8' });
  const output = result.stderr;
  const diagnostics = output
    .split('\n')
    .filter((l) => !TOLERATED.test(l))
    .map((l) => /^(.+?):(\d+):\d+: (error|warning): /.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ file: m[1]!, line: m[2]!, kind: m[3] as 'error' | 'warning' }));
  return { diagnostics, output };
}

const scratch = mkdtempSync(join(tmpdir(), 'run-coreml-syntax-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.skipIf(!ready)(
  'native/coreml compiles (clang -fsyntax-only -fobjc-arc, GNUstep + CoreML declarations; skipped only without clang/GNUstep, which tools/test/setup-coreml.sh installs in CI)',
  () => {
    const sources = readdirSync(join(nativeDir, 'src')).filter((f) => f.endsWith('.mm'));

    it('checks exactly the sources binding.gyp builds', () => {
      const gyp = readFileSync(join(nativeDir, 'binding.gyp'), 'utf8');
      const built = [...gyp.matchAll(/"src\/([a-z-]+\.mm)"/g)].map((m) => m[1]);
      expect(sources.sort()).toEqual(built.sort());
      expect(sources).toContain('plan.mm');
    });

    it.each(sources.flatMap((source) => Object.entries(SDKS).map(([name, sdk]) => [source, name, sdk] as const)))(
      '%s against the %s: no error and no warning',
      (source, _name, sdk) => {
        const { diagnostics, output } = check(join(nativeDir, 'src', source), sdk);
        expect(diagnostics, output).toEqual([]);
      },
    );

    // The check is only worth something if it fails on the mistakes it is meant to catch.
    it.each([
      ['a CoreML selector that does not exist', '[MLModel modelWithContentsOfURL:url error:nil];'],
      ['a wrong N-API argument type', 'Napi::Number::New(env, std::string("1"));'],
      ['manual retain/release under ARC', '[url release];'],
      ['an MLMultiArray property that does not exist', 'MLMultiArray* a = nil; (void)a.bytesPerRow;'],
    ])('catches %s', (_what, statement) => {
      const file = join(scratch, `bad-${Math.random().toString(16).slice(2)}.mm`);
      writeFileSync(
        file,
        `#include "common.h"\nvoid Bad(Napi::Env env, NSURL* url) {\n  ${statement}\n}\n`.replace(
          '"common.h"',
          JSON.stringify(join(nativeDir, 'src', 'common.h')),
        ),
      );
      const { diagnostics, output } = check(file);
      expect(
        diagnostics.filter((d) => d.kind === 'error' && d.file === file && d.line === '3'),
        output,
      ).not.toEqual([]);
    });

    it('catches MLState used without the SDK check, against the macOS 14.4 SDK (and not against 15)', () => {
      const file = join(scratch, 'bad-sdk.mm');
      const common = JSON.stringify(join(nativeDir, 'src', 'common.h'));
      writeFileSync(
        file,
        `#include ${common}\nvoid Bad(MLModel* model) {\n  MLState* s = [model newState]; (void)s;\n}\n`,
      );
      const errorsOn3 = (sdk: number): Diagnostic[] =>
        check(file, sdk).diagnostics.filter((d) => d.kind === 'error' && d.file === file && d.line === '3');
      expect(errorsOn3(SDKS['macOS 14.4 SDK'])).not.toEqual([]);
      expect(errorsOn3(SDKS['macOS 15 SDK'])).toEqual([]);
    });
  },
);
