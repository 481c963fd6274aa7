import { open, stat } from 'node:fs/promises';
import type { RunError } from '../errors.js';

/** The errors a limited read raises, so that each caller (image, audio) keeps its own codes. */
export interface LimitedReadErrors {
  /** Nothing at the path (or it cannot be opened). */
  missing(cause: unknown): RunError;
  /** The path is a folder or a device. */
  notAFile(): RunError;
  /** The file has more than `maxBytes` bytes. */
  tooLarge(bytes: number): RunError;
  /** Reading failed part-way. */
  failed(cause: unknown): RunError;
}

/**
 * Reads a whole file, refusing it before reading when it is larger than `maxBytes` and stopping at `maxBytes + 1`
 * bytes when it grows while being read. Shared by image and audio decoding.
 * @example
 * const bytes = await readFileLimited('dog.jpg', 50 * 1024 * 1024, errors);
 */
export async function readFileLimited(path: string, maxBytes: number, errors: LimitedReadErrors): Promise<Uint8Array> {
  // stat before open: opening a FIFO or a device could block.
  const before = await stat(path).catch((cause: unknown) => {
    throw errors.missing(cause);
  });
  if (!before.isFile()) throw errors.notAFile();
  if (before.size > maxBytes) throw errors.tooLarge(before.size);
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (cause) {
    throw errors.failed(cause);
  }
  try {
    const info = await handle.stat().catch((cause: unknown) => {
      throw errors.failed(cause);
    });
    if (!info.isFile()) throw errors.notAFile();
    if (info.size > maxBytes) throw errors.tooLarge(info.size);
    const buffer = Buffer.allocUnsafe(Math.min(info.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null).catch((cause: unknown) => {
        throw errors.failed(cause);
      });
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw errors.tooLarge(length);
      if (length === buffer.length) break;
    }
    return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
  } finally {
    await handle.close();
  }
}
