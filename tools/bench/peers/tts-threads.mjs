/**
 * Where each TTS worker's CPU goes, thread by thread (prints a table; not a test): starts ours and piper-tts as
 * in tools/bench/peers/tts.mjs, then around every paragraph reads `/proc/<pid>/task/<tid>/schedstat` (time on a
 * core, time waiting for one) of every thread of both processes. Shows how many threads
 * each side has, which of them work during a synthesis and how long they waited for a core (oversubscription).
 * Run: BENCH_THREADS=2 node tools/bench/peers/tts-threads.mjs   (BENCH_ROUNDS, default 5)
 */
import { readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { startTtsSides, TTS_TEXT } from './tts-sides.mjs';

/** Time on a core, time waiting for one (ms, from schedstat) and the name of every thread of `pid`. */
function snapshot(pid) {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const [runNs, waitNs] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      out.set(tid, {
        name,
        runMs: runNs / 1e6,
        waitMs: waitNs / 1e6,
      });
    } catch {
      // the thread ended between readdir and read
    }
  }
  return out;
}

const threads = process.env.BENCH_THREADS ?? '1';
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const sides = await startTtsSides(threads);
const totals = new Map(sides.map((s) => [s.name, { threads: new Map(), wallMs: 0, cpuMs: 0 }]));
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < sides.length; k++) {
    const side = sides[(r + k) % sides.length];
    const before = snapshot(side.pid);
    const answer = await side.request({ text: TTS_TEXT });
    const after = snapshot(side.pid);
    const t = totals.get(side.name);
    t.wallMs += answer.totalMs;
    t.cpuMs += answer.cpuMs;
    for (const [tid, a] of after) {
      const b = before.get(tid) ?? { runMs: 0, waitMs: 0 };
      const acc = t.threads.get(tid) ?? { name: a.name, runMs: 0, waitMs: 0 };
      acc.runMs += a.runMs - b.runMs;
      acc.waitMs += a.waitMs - b.waitMs;
      t.threads.set(tid, acc);
    }
  }
}
for (const s of sides) s.stop();
console.log(
  `TTS threads, BENCH_THREADS=${threads}, ${rounds} rounds; load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}; per paragraph (means)`,
);
for (const [name, t] of totals) {
  const list = [...t.threads.entries()];
  const busy = list.filter(([, a]) => a.runMs / rounds >= 1);
  console.log(
    `\n${name}: ${list.length} threads, ${busy.length} ran ≥ 1 ms per paragraph; wall ${(t.wallMs / rounds).toFixed(0)} ms, process CPU ${(t.cpuMs / rounds).toFixed(0)} ms`,
  );
  console.log('| tid | name | on a core (ms) | waiting for a core (ms) |');
  console.log('| --- | --- | --- | --- |');
  for (const [tid, a] of busy) {
    console.log(`| ${tid} | ${a.name} | ${(a.runMs / rounds).toFixed(1)} | ${(a.waitMs / rounds).toFixed(1)} |`);
  }
}
