/** Persistent benchmark workers: one JSON request per line on stdin, one JSON answer per line on stdout. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Starts a worker and waits for its `{ ready: true, … }` line; `request(obj)` resolves with its answer. */
export async function startWorker(name, command, args, options) {
  const child = spawn(command, args, { ...options, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (line) => {
    if (!line.startsWith('{')) return;
    const next = waiting.shift();
    if (next) next(JSON.parse(line));
  });
  child.on('exit', (code) => {
    for (const w of waiting.splice(0)) w({ error: `${name} exited with ${code}` });
  });
  const ready = await new Promise((resolve) => waiting.push(resolve));
  if (ready.error) throw new Error(ready.error);
  return {
    name,
    ready,
    pid: child.pid,
    request(obj) {
      return new Promise((resolve) => {
        waiting.push(resolve);
        child.stdin.write(`${JSON.stringify(obj)}\n`);
      });
    },
    stop() {
      child.stdin.end();
    },
  };
}

/** Median of numbers. */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
