#!/usr/bin/env node
// Install script of the CoreML addon. Off macOS it does nothing and exits 0: pnpm runs a workspace package's
// install script whatever its `os` field says, and node-gyp cannot fetch Node's headers offline.
// On macOS it builds build/Release/run-coreml-darwin-${process.arch}.node with node-gyp unless a prebuilt platform package
// (@llama-pajamas/run-coreml-darwin-<arch>) is installed or LLAMA_PAJAMAS_COREML_SKIP_BUILD=1.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { dirname, join } = require('node:path');

if (process.platform !== 'darwin') {
  process.exit(0);
}
if (process.env.LLAMA_PAJAMAS_COREML_SKIP_BUILD === '1') {
  console.log('[coreml] LLAMA_PAJAMAS_COREML_SKIP_BUILD=1: not building the CoreML addon');
  process.exit(0);
}
try {
  const prebuilt = require.resolve(`@llama-pajamas/run-coreml-darwin-${process.arch}/binding.node`);
  if (existsSync(prebuilt) && process.env.LLAMA_PAJAMAS_COREML_FORCE_BUILD !== '1') process.exit(0);
} catch {
  // no prebuilt package: build from source below
}
let nodeGyp;
try {
  nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  console.error('[coreml] node-gyp is not installed; run `npm i -g node-gyp` or install with dev dependencies.');
  process.exit(process.env.LLAMA_PAJAMAS_COREML_REQUIRE_BUILD === '1' ? 1 : 0);
}
// The repository's .npmrc sets nodedir=/usr for Linux, where Node's headers live there. On macOS that folder
// has none: use the headers of the running Node (installers and setup-node ship include/node) instead.
const env = { ...process.env };
const nodedir = env.npm_config_nodedir;
if (nodedir && !existsSync(join(nodedir, 'include', 'node', 'common.gypi'))) {
  const own = dirname(dirname(process.execPath));
  if (existsSync(join(own, 'include', 'node', 'common.gypi'))) env.npm_config_nodedir = own;
  else delete env.npm_config_nodedir;
}
const result = spawnSync(process.execPath, [nodeGyp, 'rebuild'], { cwd: __dirname, stdio: 'inherit', env });
if (result.status !== 0) {
  console.error(
    '[coreml] building the CoreML addon failed; run-coreml will report why when it loads. ' +
      'Xcode Command Line Tools are needed: xcode-select --install',
  );
  // A failed optional native build must not fail the whole install unless asked (CI sets it).
  process.exit(process.env.LLAMA_PAJAMAS_COREML_REQUIRE_BUILD === '1' ? 1 : 0);
}
if (!existsSync(join(__dirname, 'build', 'Release', `run-coreml-darwin-${process.arch}.node`))) process.exit(1);
