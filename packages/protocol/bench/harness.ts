/**
 * A tiny benchmark harness: warm up, then run a function for a fixed time and report throughput.
 * Plain `performance.now()` loops; good enough to compare implementations on one machine, not to
 * compare machines.
 */

export interface Result {
  name: string;
  /** Bytes of input per call, for MB/s. */
  bytes: number;
  opsPerSec: number;
  mbPerSec: number;
  note?: string;
}

const WARMUP_MS = 150;
const MEASURE_MS = 400;

export function measure(name: string, bytes: number, fn: () => unknown, note?: string): Result {
  runFor(WARMUP_MS, fn);
  const { calls, ms } = runFor(MEASURE_MS, fn);
  const opsPerSec = (calls / ms) * 1000;
  return { name, bytes, opsPerSec, mbPerSec: (opsPerSec * bytes) / 1e6, ...(note ? { note } : {}) };
}

function runFor(ms: number, fn: () => unknown): { calls: number; ms: number } {
  let calls = 0;
  // Batch the calls between clock reads so that timing cheap functions does not time the clock.
  let batch = 1;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < batch; i++) fn();
    calls += batch;
    elapsed = performance.now() - start;
    if (elapsed < ms / 20) batch *= 2;
  }
  return { calls, ms: elapsed };
}

export function printTable(title: string, results: Result[]): void {
  const rows = results.map((r) => [
    r.name,
    formatBytes(r.bytes),
    r.mbPerSec.toFixed(r.mbPerSec < 10 ? 1 : 0),
    r.opsPerSec < 10_000 ? r.opsPerSec.toFixed(0) : `${(r.opsPerSec / 1000).toFixed(0)}k`,
    r.note ?? '',
  ]);
  const header = ['case', 'input', 'MB/s', 'ops/s', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) =>
        i === 0 || i === cells.length - 1 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number),
      )
      .join('  ')
      .trimEnd();
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(row));
}

function formatBytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(n % (1 << 20) ? 1 : 0)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(n % 1024 ? 1 : 0)} KiB`;
  return `${n} B`;
}
