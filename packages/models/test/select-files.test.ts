import { describe, expect, it } from 'vitest';
import { onnxFileDtype, resolveHubConfig, selectFamilyFiles, selectRepoFiles } from '../src/index.js';

const LISTING = [
  '.gitattributes',
  'README.md',
  'config.json',
  'tokenizer.json',
  'merges.txt',
  'model.safetensors',
  'onnx/encoder_model.onnx',
  'onnx/encoder_model_fp16.onnx',
  'onnx/encoder_model_quantized.onnx',
  'onnx/encoder_model_q4.onnx',
  'onnx/decoder_model_merged.onnx',
  'onnx/decoder_model_merged.onnx_data',
  'onnx/decoder_model_merged_quantized.onnx',
];

describe('selectRepoFiles', () => {
  it('takes the support files and one dtype of ONNX files (fp32 first)', () => {
    expect(selectRepoFiles(LISTING)).toEqual([
      'config.json',
      'merges.txt',
      'onnx/decoder_model_merged.onnx',
      'onnx/decoder_model_merged.onnx_data',
      'onnx/encoder_model.onnx',
      'tokenizer.json',
    ]);
    expect(selectRepoFiles(LISTING, { dtype: 'int8' }).filter((f) => f.endsWith('.onnx'))).toEqual([
      'onnx/decoder_model_merged_quantized.onnx',
      'onnx/encoder_model_quantized.onnx',
    ]);
  });

  it('picks the dtype that is there when fp32 is not', () => {
    expect(selectRepoFiles(['config.json', 'onnx/model_quantized.onnx'])).toEqual([
      'config.json',
      'onnx/model_quantized.onnx',
    ]);
  });

  it('filters by globs, narrowed to a dtype when one is given', () => {
    expect(selectRepoFiles(LISTING, { include: 'onnx/encoder*' })).toEqual([
      'onnx/encoder_model.onnx',
      'onnx/encoder_model_fp16.onnx',
      'onnx/encoder_model_quantized.onnx',
      'onnx/encoder_model_q4.onnx',
    ]);
    expect(selectRepoFiles(LISTING, { include: ['*.json', 'onnx/encoder*'], dtype: 'fp16' })).toEqual([
      'config.json',
      'tokenizer.json',
      'onnx/encoder_model_fp16.onnx',
    ]);
  });

  it('names dtypes by stem suffix', () => {
    expect(['a.onnx', 'a_fp16.onnx', 'a_int8.onnx', 'a_uint8.onnx', 'a_q4f16.onnx'].map(onnxFileDtype)).toEqual([
      'fp32',
      'fp16',
      'int8',
      'int8',
      undefined,
    ]);
  });
});

describe('resolveHubConfig', () => {
  it('follows huggingface_hub precedence: HF_HUB_CACHE > HF_HOME/hub > XDG_CACHE_HOME > ~/.cache', () => {
    const base = { HOME: '/home/u', HF_TOKEN_PATH: '/nonexistent' };
    expect(resolveHubConfig(base).cacheDir).toBe('/home/u/.cache/huggingface/hub');
    expect(resolveHubConfig({ ...base, XDG_CACHE_HOME: '/x' }).cacheDir).toBe('/x/huggingface/hub');
    expect(resolveHubConfig({ ...base, HF_HOME: '/h' }).cacheDir).toBe('/h/hub');
    expect(resolveHubConfig({ ...base, HF_HOME: '/h', HF_HUB_CACHE: '/c' }).cacheDir).toBe('/c');
    expect(resolveHubConfig({ ...base, HF_ENDPOINT: 'http://mirror:8080/' }).endpoint).toBe('http://mirror:8080');
    expect(resolveHubConfig({ ...base, HF_HUB_OFFLINE: '1' }).offline).toBe(true);
    expect(resolveHubConfig({ ...base, HF_HUB_OFFLINE: '0' }).offline).toBe(false);
    expect(resolveHubConfig({ ...base, HF_TOKEN: ' hf_x ' }).token).toBe('hf_x');
  });
});

describe('selectFamilyFiles (run-core FAMILY_FILES)', () => {
  const whisper = [
    'config.json',
    'generation_config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    'onnx/encoder_model_quantized.onnx',
    'onnx/decoder_model_merged_quantized.onnx',
    'onnx/decoder_model_merged_fp16.onnx',
    'onnx/encoder_model_fp16.onnx',
    'model.safetensors',
  ];

  it('recognises a Whisper repository and takes the preferred dtype it has (int8 before fp16 for onnx)', () => {
    expect(selectFamilyFiles(whisper)).toEqual({
      family: 'whisper',
      dtype: 'int8',
      files: [
        'config.json',
        'tokenizer.json',
        'onnx/encoder_model_quantized.onnx',
        'onnx/decoder_model_merged_quantized.onnx',
        'generation_config.json',
        'tokenizer_config.json',
      ],
    });
    expect(selectFamilyFiles(whisper, { dtype: 'fp16' })?.files).toContain('onnx/encoder_model_fp16.onnx');
    expect(selectFamilyFiles(whisper, { dtype: 'fp32' })).toBeUndefined();
  });

  it('tells CLIP from an image classifier by the files it uses', () => {
    const clip = [
      'config.json',
      'preprocessor_config.json',
      'tokenizer.json',
      'onnx/model.onnx',
      'onnx/vision_model.onnx',
      'onnx/text_model.onnx',
    ];
    expect(selectFamilyFiles(clip)?.family).toBe('clip');
    expect(selectFamilyFiles(['config.json', 'preprocessor_config.json', 'onnx/model.onnx'])?.family).toBe(
      'hf-image-classifier',
    );
    expect(selectFamilyFiles(['yolox_nano.onnx'])).toBeUndefined(); // single-file families are left to the heuristic
  });
});
