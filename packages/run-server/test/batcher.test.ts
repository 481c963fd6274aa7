/**
 * MicroBatcher bookkeeping: batches form, and a batcher reports idle once everything it held has settled, so that the
 * image routes can drop their per-option-set batchers (client-chosen options must not grow a map without bound).
 */
import { describe, expect, it } from 'vitest';
import { MicroBatcher } from '../src/batcher.js';
import { WorkQueue } from '../src/queue.js';

const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('MicroBatcher', () => {
  it('batches requests that wait, answers each its own result, then reports idle once', async () => {
    const calls: number[][] = [];
    let idle = 0;
    const batcher = new MicroBatcher<number, number>(
      new WorkQueue({ concurrency: 1, maxQueue: 16 }),
      8,
      async (_key, xs) => {
        calls.push(xs);
        await tick();
        return xs.map((x) => x * 10);
      },
      () => idle++,
    );
    const results = await Promise.all([1, 2, 3, 4].map((x) => batcher.submit('k', x)));
    expect(results).toEqual([10, 20, 30, 40]);
    expect(calls).toEqual([[1], [2, 3, 4]]);
    expect(batcher.idle).toBe(true);
    expect(idle).toBeGreaterThanOrEqual(1);
  });

  it('reports idle after a failed batch and after an aborted request', async () => {
    let idle = 0;
    const queue = new WorkQueue({ concurrency: 1, maxQueue: 16 });
    const failing = new MicroBatcher<number, number>(
      queue,
      8,
      () => Promise.reject(new Error('boom')),
      () => idle++,
    );
    await expect(failing.submit('k', 1)).rejects.toThrow('boom');
    expect(failing.idle).toBe(true);
    expect(idle).toBe(1);

    let idle2 = 0;
    const slow = new MicroBatcher<number, number>(
      queue,
      8,
      async (_k, xs) => {
        await tick(20);
        return xs;
      },
      () => idle2++,
    );
    const first = slow.submit('a', 1);
    const controller = new AbortController();
    const second = slow.submit('b', 2, controller.signal);
    controller.abort(new Error('gone'));
    await expect(second).rejects.toThrow('gone');
    await expect(first).resolves.toBe(1);
    await tick(30);
    expect(slow.idle).toBe(true);
    expect(idle2).toBeGreaterThanOrEqual(1);
  });

  it('keeps nothing per distinct key once settled (1,000 distinct option sets)', async () => {
    const batchers = new Map<string, MicroBatcher<number, number>>();
    const queue = new WorkQueue({ concurrency: 1, maxQueue: 2000 });
    const submit = (key: string, x: number): Promise<number> => {
      let b = batchers.get(key);
      if (!b) {
        const created: MicroBatcher<number, number> = new MicroBatcher<number, number>(
          queue,
          8,
          (_k, xs) => Promise.resolve(xs),
          () => {
            if (batchers.get(key) === created) batchers.delete(key);
          },
        );
        b = created;
        batchers.set(key, b);
      }
      return b.submit(key, x);
    };
    const out = await Promise.all(Array.from({ length: 1000 }, (_, i) => submit(`{"confidence":${i / 1000}}`, i)));
    expect(out[999]).toBe(999);
    expect(batchers.size).toBe(0);
  });
});
