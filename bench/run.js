#!/usr/bin/env node
// `npm run bench [-- <filter>]`: runs every packages/*/bench/*.bench.ts and bench/*.bench.ts,
// prints one table and writes bench/results.json. Each bench module exports `run(): Promise<BenchResult[]>`.
'use strict';
require('tsx/cjs');
const { readdirSync, existsSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');
const os = require('node:os');

const root = join(__dirname, '..');
const filter = process.argv[2];

function benchFiles() {
  const dirs = [join(root, 'bench')];
  for (const pkg of readdirSync(join(root, 'packages'))) dirs.push(join(root, 'packages', pkg, 'bench'));
  const files = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) if (name.endsWith('.bench.ts')) files.push(join(dir, name));
  }
  return files.filter((f) => !filter || relative(root, f).includes(filter));
}

function table(rows) {
  const headers = ['suite', 'name', 'value', 'unit', 'note'];
  const cells = rows.map((r) => [r.suite, r.name, typeof r.value === 'number' ? String(Math.round(r.value * 100) / 100) : String(r.value), r.unit, r.note ?? '']);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => c.map((v, i) => (i === 2 ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

async function main() {
  const results = [];
  const failures = [];
  for (const file of benchFiles()) {
    const name = relative(root, file);
    process.stderr.write(`bench: ${name}\n`);
    const started = Date.now();
    try {
      const rows = await require(file).run();
      results.push(...rows);
      process.stderr.write(`bench: ${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    } catch (err) {
      failures.push({ file: name, error: String(err && err.stack ? err.stack : err) });
      process.stderr.write(`bench: ${name} FAILED: ${err && err.stack ? err.stack : err}\n`);
    }
  }
  console.log(table(results));
  const report = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    results,
    failures,
  };
  writeFileSync(join(__dirname, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${relative(process.cwd(), join(__dirname, 'results.json'))} (${results.length} rows${failures.length ? `, ${failures.length} failed` : ''})`);
  process.exit(failures.length ? 1 : 0);
}

main();
