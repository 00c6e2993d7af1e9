// Percentiles and process memory for benchmark rows.

import { readFileSync } from 'node:fs';

export interface BenchResult {
  suite: string;
  name: string;
  value: number;
  unit: string;
  note?: string;
}

/** Nearest-rank percentile of `values` (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Resident set size of a process in MiB, from /proc. */
export function rssMiB(pid: number = process.pid): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : NaN;
}

/** `npx tsx <file>.bench.ts`: runs one benchmark alone and prints its rows (bench/run.js runs them all). */
export function runStandalone(entry: NodeModule, run: () => Promise<BenchResult[]>): void {
  if (require.main !== entry) return;
  run().then((rows) => {
    console.table(rows);
    process.exit(0);
  }, (err) => {
    console.error(err);
    process.exit(1);
  });
}
