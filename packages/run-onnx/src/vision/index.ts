export * from './load-vision-model.js';
