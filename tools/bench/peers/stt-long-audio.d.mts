/** Path of "the 36 s file" under `root` (ending in `/`), written from the clips in `media` if missing. */
export function longSpeechFile(root: string, media?: string): string;
