import { readFileSync } from 'node:fs';
import { nodeInstancesRead } from '../packages/core/src/consul/service-change-feed-nodes';
const text = readFileSync('/tmp/nodebody.json', 'utf8');
const read = nodeInstancesRead('standin');
const times: string[] = [];
let n = 0;
const tick = () => {
  let t = performance.now(); const r = read.parseText!(text); const a = performance.now() - t;
  t = performance.now(); read.parse(JSON.parse(text)); const b = performance.now() - t;
  times.push(`${a.toFixed(1)}/${b.toFixed(1)}`);
  if (++n < 25) setTimeout(tick, 200); else console.log('scan/old ms per call, one call per 200 ms:', times.join(' '), (r as Map<string, unknown>).size);
};
tick();
