// Ambient types for small untyped dependencies of the audio module.

declare module 'audio-type' {
  /** Sniffs an audio container from its first bytes: 'wav', 'mp3', 'flac', 'opus', 'oga', 'm4a', 'webm', …; undefined when unknown. */
  export default function audioType(buf: Uint8Array): string | undefined;
}

declare module 'espeak-ng' {
  /** The espeak-ng command line compiled to WASM (Emscripten): runs `main(arguments)` once per instance. */
  export default function ESpeakNg(options: {
    arguments: string[];
    print?: (text: string) => void;
    printErr?: (text: string) => void;
  }): Promise<{ FS: { readFile(path: string, options: { encoding: 'utf8' }): string } }>;
}
