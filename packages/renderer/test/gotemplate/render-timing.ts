// Render-time measurement for a bench to call: the nginx example over N services of M instances, rendered
// through the Go template engine against the in-memory data source.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileGoTemplate, renderGoTemplate } from '../../src/gotemplate';
import { FixedDataSource, instance, type FixedData } from './fixed-source';

export const NGINX_TEMPLATE = readFileSync(join(__dirname, 'fixtures', 'nginx.ctmpl'), 'utf8');

export function manyServices(services: number, instancesPerService: number): FixedData {
  const byName: FixedData['services'] = { dc1: {} };
  for (let s = 0; s < services; s++) {
    const name = `svc${String(s).padStart(4, '0')}`;
    byName.dc1[name] = Array.from({ length: instancesPerService }, (_, i) =>
      instance({ Name: name, Node: `node${i}`, Address: `10.${(s >> 8) & 255}.${s & 255}.${i + 1}`, Port: 8000 + i, Tags: ['http'] }));
  }
  return { services: byName };
}

export interface RenderTiming {
  services: number;
  instancesPerService: number;
  renders: number;
  /** Median and best wall time of one render, in milliseconds. */
  medianMs: number;
  minMs: number;
  /** Median CPU time of one render (user + system): less sensitive than wall time to other load on the machine. */
  medianCpuMs: number;
  outputBytes: number;
}

/** Renders `renders` times (after one warm-up) and reports the median; bounded by the count given. */
export function measureGoTemplateRender(services = 1000, instancesPerService = 3, renders = 10, template = NGINX_TEMPLATE): RenderTiming {
  const compiled = compileGoTemplate(template);
  const source = new FixedDataSource(manyServices(services, instancesPerService));
  let outputBytes = renderGoTemplate(compiled, source).output.length;
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < renders; i++) {
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    const outcome = renderGoTemplate(compiled, source);
    const used = process.cpuUsage(cpuStart);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    cpu.push((used.user + used.system) / 1000);
    if (outcome.error) throw outcome.error;
    outputBytes = outcome.output.length;
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { services, instancesPerService, renders, medianMs: median(times), minMs: Math.min(...times), medianCpuMs: median(cpu), outputBytes };
}
