/**
 * @llama-pajamas/models: pulls models over the Hugging Face hub protocol into the Python huggingface_hub cache,
 * names the models llama-pajamas knows (the catalog), and resolves model references to local paths.
 */
export * from './errors.js';
export * from './config.js';
export * from './cache.js';
export * from './select-files.js';
export * from './family-select.js';
export {
  headFile,
  downloadBlob,
  listRepoFiles,
  resolveUrl,
  type FileMetadata,
  type DownloadProgress,
  type RepoListing,
  type HubClient,
} from './hub.js';
export * from './pull.js';
export * from './catalog.js';
export * from './local.js';
export * from './resolve.js';
export * from './inventory.js';
