/**
 * MicroBatcher bookkeeping: one batcher per model and task groups requests by their options, answers each its own
 * result, and keeps nothing per option set once it has settled (client-chosen options must not grow without bound).
 */
import { describe, expect, it } from 'vitest';
import { MicroBatcher } from '../src/batcher.js';
import { WorkQueue } from '../src/queue.js';

const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('MicroBatcher', () => {
  it('batches requests that wait, answers each its own result, then is idle', async () => {
    const calls: number[][] = [];
    const batcher = new MicroBatcher<number, { k: string }, number>(
      new WorkQueue({ concurrency: 1, maxQueue: 16 }),
      8,
      async (xs) => {
        calls.push(xs);
        await tick();
        return xs.map((x) => x * 10);
      },
    );
    const results = await Promise.all([1, 2, 3, 4].map((x) => batcher.submit(x, { k: 'k' })));
    expect(results).toEqual([10, 20, 30, 40]);
    expect(calls).toEqual([[1], [2, 3, 4]]);
    expect(batcher.idle).toBe(true);
  });

  it('runs requests with different options in separate batches, each with its own options', async () => {
    const calls: [number[], number][] = [];
    const batcher = new MicroBatcher<number, { scale: number }, number>(
      new WorkQueue({ concurrency: 1, maxQueue: 16 }),
      8,
      async (xs, o) => {
        calls.push([xs, o.scale]);
        await tick();
        return xs.map((x) => x * o.scale);
      },
    );
    const results = await Promise.all([
      batcher.submit(1, { scale: 2 }),
      batcher.submit(2, { scale: 3 }),
      batcher.submit(3, { scale: 2 }),
      batcher.submit(4, { scale: 3 }),
    ]);
    expect(results).toEqual([2, 6, 6, 12]);
    expect(calls).toEqual([
      [[1], 2],
      [[2, 4], 3],
      [[3], 2],
    ]);
  });

  it('is idle after a failed batch and after an aborted request', async () => {
    const queue = new WorkQueue({ concurrency: 1, maxQueue: 16 });
    const failing = new MicroBatcher<number, object, number>(queue, 8, () => Promise.reject(new Error('boom')));
    await expect(failing.submit(1, {})).rejects.toThrow('boom');
    expect(failing.idle).toBe(true);

    const slow = new MicroBatcher<number, { o: string }, number>(queue, 8, async (xs) => {
      await tick(20);
      return xs;
    });
    const first = slow.submit(1, { o: 'a' });
    const controller = new AbortController();
    const second = slow.submit(2, { o: 'b' }, controller.signal);
    controller.abort(new Error('gone'));
    await expect(second).rejects.toThrow('gone');
    await expect(first).resolves.toBe(1);
    await tick(30);
    expect(slow.idle).toBe(true);
    expect(slow.groupCount).toBe(0);
  });

  it('keeps nothing per distinct option set once settled (1,000 distinct option sets)', async () => {
    const queue = new WorkQueue({ concurrency: 1, maxQueue: 2000 });
    const batcher = new MicroBatcher<number, { confidence: number }, number>(queue, 8, (xs) => Promise.resolve(xs));
    const pending = Array.from({ length: 1000 }, (_, i) => batcher.submit(i, { confidence: i / 1000 }));
    expect(batcher.groupCount).toBeGreaterThan(1);
    const out = await Promise.all(pending);
    expect(out[999]).toBe(999);
    expect(batcher.groupCount).toBe(0);
    expect(batcher.idle).toBe(true);
  });
});
