export * from './options.js';
export * from './runtime.js';
export * from './files.js';
export * from './json.js';
export * from './family-files.js';
