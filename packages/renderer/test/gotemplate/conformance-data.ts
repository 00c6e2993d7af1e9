// The fixed data the conformance cases render against (shaped after the examples in consul-template's
// docs/templating-language.md), and the table runner that byte-compares each case.

import { expect } from 'chai';
import { TemplateParseError, compileGoTemplate, renderGoTemplate, type GoRenderOutcome } from '../../src/gotemplate';
import { FixedDataSource, instance, node, type FixedData } from './fixed-source';

export const DOC_DATA: FixedData = {
  services: {
    dc1: {
      consul: [instance({ Name: 'consul', Node: 'node01', Address: '10.0.0.1', Port: 8300 })],
      redis: [
        instance({ Name: 'redis', ID: 'redis-dev-1', Node: 'redis1', Address: '10.1.0.1', Port: 6379, ServiceMeta: { environment: 'dev', shard_number: '1' } }),
        instance({ Name: 'redis', ID: 'redis-prod-1', Node: 'redis2', Address: '10.1.0.2', Port: 6379, ServiceMeta: { environment: 'prod', shard_number: '1' } }),
        instance({ Name: 'redis', ID: 'redis-prod-2', Node: 'redis3', Address: '10.1.0.3', Port: 6379, ServiceMeta: { environment: 'prod', shard_number: '2' } }),
      ],
      web: [
        instance({ Name: 'web', Node: 'web01', Address: '10.5.2.45', Port: 2492, Tags: ['production', 'tag1'], ServiceTaggedAddresses: { wan: { Address: '198.18.0.1', Port: 80 } } }),
        instance({ Name: 'web', Node: 'web02', Address: '10.2.6.61', Port: 2904, Tags: ['tag2'] }),
        instance({ Name: 'web', Node: 'web03', Address: '10.2.6.62', Port: 2905, Tags: ['tag2'], Status: 'warning' }),
        instance({ Name: 'web', Node: 'web04', Address: '10.2.6.63', Port: 2906, Status: 'critical' }),
      ],
    },
    'east-aws': {
      web: [
        instance({ Name: 'web', Node: 'east01', Address: '10.9.0.1', Port: 80, Tags: ['tag1'] }),
        instance({ Name: 'web', Node: 'east02', Address: '10.9.0.2', Port: 80 }),
      ],
    },
  },
  kv: {
    dc1: {
      'service/redis/maxconns': '15',
      'service/redis/minconns': '5',
      'service/redis/nested/config/value': '"value"',
      'groups/elasticsearch/es1': '1',
      'groups/elasticsearch/es2': '1',
      'groups/elasticsearch/es3': '1',
      'config/admin/port': '1234',
      'config/maxconns': '5',
      'config/minconns': '2',
      'user/info': '{"name":"alice","roles":["ops","dev"]}',
      'user/name': 'hello wORLD',
      'feature/enabled': 'true',
      foo: 'a\nb',
      'app/beta_active': 'yes',
    },
  },
  nodes: {
    dc1: [node({ Node: 'agent01', Address: '10.5.2.6' }), node({ Node: 'node-a', Address: '10.4.2.13' }), node({ Node: 'node-b', Address: '10.46.2.5' })],
    dc2: [node({ Node: 'node1', Address: '10.4.2.6', Datacenter: 'dc2' })],
  },
  localNode: 'agent01',
  datacenters: ['dc1', 'dc2'],
  files: { '/path/to/my/file': 'file contents', '/etc/ec2_version': '  2024.01\n' },
};

export interface ConformanceCase {
  /** Where the expectation comes from: the doc section, or the source line whose semantics imply it. */
  from: string;
  template: string;
  expect?: string;
  /** The expected Go error message instead of output (a RegExp where Go's own text is not deterministic). */
  error?: string | RegExp;
  /** Dependency keys expected to hold the render back (missing or blocked). */
  heldBy?: string[];
  data?: FixedData;
  env?: Record<string, string>;
  errorOnMissingKey?: boolean;
  functionDenylist?: string[];
  leftDelimiter?: string;
  rightDelimiter?: string;
}

/** 1970-01-01T00:00:00Z: consul-template's own tests pin `now` the same way. */
const EPOCH = () => new Date(0);

/** Renders one case; a parse error comes back as the outcome's error, as an execution error does. */
export function renderCase(c: ConformanceCase): GoRenderOutcome {
  let compiled;
  try {
    compiled = compileGoTemplate(c.template, { errorOnMissingKey: c.errorOnMissingKey, functionDenylist: c.functionDenylist, leftDelimiter: c.leftDelimiter, rightDelimiter: c.rightDelimiter });
  } catch (err) {
    if (!(err instanceof TemplateParseError)) throw err;
    return { output: '', used: new Map(), missing: [], blockedOn: [], error: err };
  }
  return renderGoTemplate(compiled, new FixedDataSource(c.data ?? DOC_DATA), { env: c.env ?? {}, now: EPOCH });
}

export function runCases(cases: Record<string, ConformanceCase>): void {
  for (const [title, c] of Object.entries(cases)) {
    it(`${title} (${c.from})`, () => {
      const outcome = renderCase(c);
      if (c.error !== undefined) {
        if (c.error instanceof RegExp) expect(outcome.error?.message).to.match(c.error);
        else expect(outcome.error?.message).to.equal(c.error);
        return;
      }
      if (outcome.error) throw outcome.error;
      expect([...outcome.missing, ...outcome.blockedOn]).to.deep.equal(c.heldBy ?? []);
      if (c.expect !== undefined) expect(outcome.output).to.equal(c.expect);
    });
  }
}
