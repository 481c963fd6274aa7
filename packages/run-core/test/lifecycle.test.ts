import { describe, expect, it } from 'vitest';
import { ModelLifecycle } from '../src/backends/lifecycle.js';

/** A resource that records its opens and closes (the lifecycle is generic: any value with a close works). */
function resources(fail = () => false) {
  const log: string[] = [];
  let n = 0;
  const life = new ModelLifecycle<{ id: number }>({
    open: async () => {
      await new Promise((r) => setTimeout(r, 5));
      if (fail()) {
        log.push('open failed');
        throw new Error('cannot open');
      }
      const id = ++n;
      log.push(`open ${id}`);
      return { id };
    },
    close: async (v) => {
      await new Promise((r) => setTimeout(r, 1));
      log.push(`close ${v.id}`);
    },
  });
  return { life, log };
}

describe('ModelLifecycle', () => {
  it('starts loaded with an initial value, closes it on unload, and reopens on load', async () => {
    const closed: number[] = [];
    const life = new ModelLifecycle({
      open: () => Promise.resolve(2),
      close: (v: number) => Promise.resolve(void closed.push(v)),
      initial: 1,
    });
    expect(life.isLoaded).toBe(true);
    expect(life.value).toBe(1);
    await life.unload();
    expect(closed).toEqual([1]);
    await life.load();
    expect(life.value).toBe(2);
  });

  it('runs calls in the order they were made; concurrent loads share one open', async () => {
    const { life, log } = resources();
    await Promise.all([life.load(), life.load(), life.load()]);
    expect(log).toEqual(['open 1']);
    await Promise.all([life.unload(), life.load(), life.load(), life.unload(), life.unload(), life.load()]);
    expect(log).toEqual(['open 1', 'close 1', 'open 2', 'close 2', 'open 3']);
    expect(life.value).toEqual({ id: 3 });
  });

  it('value is gone as soon as unload() begins', async () => {
    const { life } = resources();
    await life.load();
    const unloading = life.unload();
    expect(life.isLoaded).toBe(false);
    await unloading;
  });

  it('a failed open rejects every waiting load and leaves it unloaded; a later load retries', async () => {
    let failing = true;
    const { life, log } = resources(() => failing);
    const results = await Promise.allSettled([life.load(), life.load()]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(log).toEqual(['open failed']);
    expect(life.isLoaded).toBe(false);
    failing = false;
    await life.load();
    expect(log).toEqual(['open failed', 'open 1']);
  });
});
