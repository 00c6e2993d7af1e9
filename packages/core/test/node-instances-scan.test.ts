// Reading a node's instances from the text of its /v1/catalog/node answer: the scan reads what JSON.parse and the
// full parse read (values, Map order, errors), reads Consul's own answers itself, hands odd ones to the full parse,
// rejects what JSON.parse rejects, and keeps no view into the body it read.

import { expect } from 'chai';
import v8 from 'node:v8';
import vm from 'node:vm';
import { CodedError, ERR_CONSUL_PAYLOAD } from '../src';
import { scanNodeInstances } from '../src/consul/node-instances-scan';
import { nodeInstancesRead, type NodeInstance } from '../src/consul/service-change-feed-nodes';
import { asReceived, consulNodeAnswer, mapStrings, RandomBodies, seededRandom } from './node-instances-bodies';

const read = nodeInstancesRead('node-1');
const parseText = read.parseText as (text: string) => ReturnType<typeof read.parse>;

/** The reference: JSON.parse, then the parse from a JSON value. */
function fullParse(text: string): ReturnType<typeof read.parse> {
  return read.parse(JSON.parse(text));
}

type Outcome = { value: Array<[string, NodeInstance]> | null } | { error: Record<string, unknown> };

function outcome(parse: () => Map<string, NodeInstance> | null): Outcome {
  try {
    const value = parse();
    return { value: value && [...value] };
  } catch (err) {
    if (err instanceof CodedError) return { error: { class: 'CodedError', code: err.code, message: err.message, details: err.details } };
    return { error: { class: (err as Error).constructor.name, message: (err as Error).message } };
  }
}

/** The same outcome from the text as from JSON.parse and the full parse. */
function expectSameAsFullParse(text: string): Outcome {
  const expected = outcome(() => fullParse(text));
  expect(outcome(() => parseText(text)), text.slice(0, 300)).to.deep.equal(expected);
  return expected;
}

/** What the answer object says: each instance's ID (or key), service and ModifyIndex, in key order. */
function instancesOf(answer: Record<string, unknown>): Array<[string, NodeInstance]> {
  const services = answer.Services as Record<string, { ID?: string; Service: string; ModifyIndex: number }>;
  return Object.entries(services).map(([key, s]) => [s.ID ?? key, { service: s.Service, modifyIndex: s.ModifyIndex }]);
}

describe('core/consul: reading a node\'s instances from the answer\'s text', () => {
  describe('reads Consul\'s answers itself, as the full parse does', () => {
    const answer = consulNodeAnswer(60);
    const unicode = mapStrings(answer, (s) => (s === '' ? s : `${s}-é中😀\u2028"\\/\b\f\n\r\t\u0001`)) as Record<string, unknown>;
    const noIds = { ...answer, Services: Object.fromEntries(Object.entries(answer.Services as Record<string, Record<string, unknown>>).map(([k, s], i) => [k, i % 2 ? { ...s, ID: undefined } : { ...s, ID: null }])) };
    const random = new RandomBodies(seededRandom(7));
    const cases: Array<{ name: string; text: string; expected: Array<[string, NodeInstance]> | null; anyOrder?: boolean }> = [
      { name: 'a NodeServices answer (Tags, Meta, TaggedAddresses, Weights, Proxy with upstreams, Connect)', text: JSON.stringify(answer), expected: instancesOf(answer) },
      { name: 'the same pretty-printed (?pretty)', text: JSON.stringify(answer, null, 4), expected: instancesOf(answer) },
      { name: 'the same with random escapes in every string, random whitespace, keys in any order', text: random.serialise(answer), expected: instancesOf(answer), anyOrder: true },
      { name: 'unicode, quotes, backslashes and control characters in every string', text: JSON.stringify(unicode), expected: instancesOf(unicode) },
      { name: 'those escaped at random too', text: random.serialise(unicode), expected: instancesOf(unicode), anyOrder: true },
      { name: 'IDs missing or null: the key is the ID', text: JSON.stringify(noIds), expected: instancesOf(answer) },
      { name: 'no instances', text: '{"Node":{"Node":"node-1"},"Services":{}}', expected: [] },
      { name: 'Services null', text: '{"Node":{"Node":"node-1"},"Services":null}', expected: [] },
      { name: 'no Services', text: '{"Node":{"Node":"node-1"}}', expected: [] },
      { name: 'an empty object', text: ' { } ', expected: [] },
      { name: 'no such node: null', text: 'null', expected: null },
      { name: 'null with whitespace around', text: ' \r\n\tnull\n', expected: null },
      { name: 'Services before Node, Node deeply nested', text: '{"Services":{"a":{"ModifyIndex":3,"Service":"s","ID":"a"}},"Node":{"x":[[[[[[{"y":[1,{"z":null}]}]]]]]]}}', expected: [['a', { service: 's', modifyIndex: 3 }]] },
      { name: 'a kept field twice: the last counts', text: '{"Services":{"a":{"ID":"a","Service":5,"Service":"s","ModifyIndex":"x","ModifyIndex":2,"ID":null}}}', expected: [['a', { service: 's', modifyIndex: 2 }]] },
      { name: 'numbers JSON.parse makes integers of', text: '{"Services":{"a":{"Service":"s","ModifyIndex":1e3},"b":{"Service":"s","ModifyIndex":7.0},"c":{"Service":"s","ModifyIndex":-0},"d":{"Service":"s","ModifyIndex":9007199254740993},"e":{"Service":"s","ModifyIndex":-12}}}', expected: [['a', { service: 's', modifyIndex: 1000 }], ['b', { service: 's', modifyIndex: 7 }], ['c', { service: 's', modifyIndex: -0 }], ['d', { service: 's', modifyIndex: 9007199254740992 }], ['e', { service: 's', modifyIndex: -12 }]] },
      { name: 'kept keys written with escapes', text: '{"\\u0053ervices":{"a\\u00e9":{"\\u0049D":"a\\u00E9","Serv\\u0069ce":"web\\/1","\\u004dodifyIndex":4}}}', expected: [['aé', { service: 'web/1', modifyIndex: 4 }]] },
      { name: 'a surrogate pair, and lone halves, escaped', text: '{"Services":{"\\ud83d\\ude00":{"ID":"😀","Service":"\\ud800x\\uDFFF","ModifyIndex":1}}}', expected: [['😀', { service: '\ud800x\udfff', modifyIndex: 1 }]] },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const text = asReceived(c.text);
        expect(scanNodeInstances(text), 'read by the scan itself').to.not.equal(undefined);
        const result = expectSameAsFullParse(text);
        // Keys shuffled: JSON.parse's order (the text's) is checked above; here, what each instance reads as.
        if (c.anyOrder && 'value' in result && result.value) expect(new Map(result.value)).to.deep.equal(new Map(c.expected));
        else expect(result).to.deep.equal({ value: c.expected });
      });
    }
  });

  describe('hands odd bodies to the full parse and answers what it answers', () => {
    const cases: Array<{ name: string; text: string }> = [
      { name: 'an instance key twice (the last wins, at the first one\'s place)', text: '{"Services":{"a":{"Service":"s","ModifyIndex":1},"b":{"Service":"t","ModifyIndex":2},"a":{"Service":"u","ModifyIndex":3}}}' },
      { name: 'keys JSON.parse puts first (array indexes)', text: '{"Services":{"web":{"Service":"s","ModifyIndex":1},"10":{"Service":"s","ModifyIndex":2},"2":{"Service":"s","ModifyIndex":3},"4294967295":{"Service":"s","ModifyIndex":4}}}' },
      { name: 'an ID other than its key', text: '{"Services":{"a":{"ID":"b","Service":"s","ModifyIndex":1},"b":{"ID":"b","Service":"t","ModifyIndex":2}}}' },
      { name: 'Services twice', text: '{"Services":{"a":{"Service":"s","ModifyIndex":1}},"Services":{"b":{"Service":"t","ModifyIndex":2}}}' },
      { name: '__proto__ as a key', text: '{"Services":{"__proto__":{"Service":"s","ModifyIndex":1}},"__proto__":{"Services":5}}' },
    ];
    for (const c of cases) it(c.name, () => expectSameAsFullParse(c.text));
  });

  describe('rejects malformed JSON, as JSON.parse does', () => {
    const good = '{"Services":{"a":{"ID":"a","Service":"s","Tags":["x"],"ModifyIndex":1}}}';
    const malformed: Array<[string, string]> = [
      ['empty', ''],
      ['whitespace only', ' \n'],
      ['cut short', good.slice(0, -1)],
      ['cut inside a string', '{"Services":{"a":{"ID":"a'],
      ['a trailing comma in an object', good.replace('1}}}', '1,}}}')],
      ['a trailing comma in an array', good.replace('["x"]', '["x",]')],
      ['two commas', good.replace('"x"]', '"x",,"y"]')],
      ['a missing colon', good.replace('"Service":', '"Service"')],
      ['a missing comma', good.replace(',"ModifyIndex"', ' "ModifyIndex"')],
      ['a key that is not a string', '{"Services":{a:{"Service":"s","ModifyIndex":1}}}'],
      ['single quotes', "{'Services':{}}"],
      ['an unknown escape', good.replace('"x"', '"\\x"')],
      ['a short \\u escape', good.replace('"x"', '"\\u12"')],
      ['a \\u escape with a non-hex digit', good.replace('"x"', '"\\u12G4"')],
      ['a raw control character in a string', good.replace('"x"', '"a\u0001b"')],
      ['a raw newline in a kept string', good.replace('"s"', '"s\nt"')],
      ['a leading zero', good.replace('"ModifyIndex":1', '"ModifyIndex":01')],
      ['a lone minus', good.replace('"ModifyIndex":1', '"ModifyIndex":-')],
      ['a dot without digits', good.replace('"ModifyIndex":1', '"ModifyIndex":1.')],
      ['a leading dot', good.replace('"ModifyIndex":1', '"ModifyIndex":.5')],
      ['a plus sign', good.replace('"ModifyIndex":1', '"ModifyIndex":+1')],
      ['an exponent without digits', good.replace('"ModifyIndex":1', '"ModifyIndex":1e')],
      ['NaN', good.replace('"ModifyIndex":1', '"ModifyIndex":NaN')],
      ['Infinity', good.replace('"ModifyIndex":1', '"ModifyIndex":Infinity')],
      ['a misspelt literal', good.replace('["x"]', '[tru]')],
      ['a literal run on', good.replace('["x"]', '[nulll]')],
      ['an unclosed array', good.replace('["x"]', '["x"')],
      ['a bracket for a brace', good.replace('["x"]', '["x"}')],
      ['text after the answer', `${good} x`],
      ['two answers', `${good}${good}`],
      ['null twice', 'null null'],
      ['a byte order mark', `\ufeff${good}`],
      ['a non-breaking space as whitespace', good.replace('{"a"', '{\u00a0"a"')],
      ['a comment', `${good} // end`],
      ['a value nested deep, cut short', `{"Node":${'['.repeat(50)}${']'.repeat(49)}}`],
    ];
    for (const [name, text] of malformed) {
      it(name, () => {
        expect(() => JSON.parse(text)).to.throw(SyntaxError);
        expect(scanNodeInstances(text)).to.equal(undefined);
        expect(() => parseText(text)).to.throw(SyntaxError);
      });
    }
  });

  describe('names the field of a wrong type, as the full parse does', () => {
    const cases: Array<{ text: string; field: string; message: string }> = [
      { text: '{"Services":{"web-1":{"ID":"web-1","Service":"web","ModifyIndex":"7"}}}', field: 'Services.web-1.ModifyIndex', message: 'Services.web-1.ModifyIndex is "7", expected an integer' },
      { text: '{"Services":{"web-1":{"ID":"web-1","Service":"web","ModifyIndex":1.5}}}', field: 'Services.web-1.ModifyIndex', message: 'is 1.5, expected an integer' },
      { text: '{"Services":{"web-1":{"ID":"web-1","Service":"web","ModifyIndex":1e400}}}', field: 'Services.web-1.ModifyIndex', message: 'is null, expected an integer' },
      { text: '{"Services":{"web-1":{"ID":"web-1","Service":"web"}}}', field: 'Services.web-1.ModifyIndex', message: 'is missing, expected an integer' },
      { text: '{"Services":{"web-1":{"ID":"web-1","Service":["web"],"ModifyIndex":1}}}', field: 'Services.web-1.Service', message: 'Services.web-1.Service is ["web"], expected a string' },
      { text: '{"Services":{"web-1":{"ID":"web-1","Service":null,"ModifyIndex":1}}}', field: 'Services.web-1.Service', message: 'is null, expected a string' },
      { text: '{"Services":{"web-1":{"ID":7,"Service":"web","ModifyIndex":1}}}', field: 'Services.web-1.ID', message: 'Services.web-1.ID is 7, expected a string' },
      { text: '{"Services":{"ok":{"Service":"s","ModifyIndex":1},"web-1":"web"}}', field: 'Services.web-1', message: 'Services.web-1 is "web", expected an object' },
      { text: '{"Services":[{"ID":"web-1","Service":"web","ModifyIndex":1}]}', field: 'Services', message: 'Services is [{"ID":"web-1","Service":"web","ModifyIndex":1}], expected an object' },
      { text: '{"Services":"web"}', field: 'Services', message: 'Services is "web", expected an object' },
      { text: '[]', field: '(body)', message: '(body) is [], expected an object' },
      { text: '"node-1"', field: '(body)', message: '(body) is "node-1", expected an object' },
      { text: '{"Services":{"w\\u00e9b":{"Service":"web","ModifyIndex":{"a":[1]}}}}', field: 'Services.wéb.ModifyIndex', message: 'Services.wéb.ModifyIndex is {"a":[1]}, expected an integer' },
    ];
    for (const c of cases) {
      it(c.field + ': ' + c.message, () => {
        const result = expectSameAsFullParse(c.text);
        expect(scanNodeInstances(c.text)).to.equal(undefined);
        expect(result).to.have.nested.property('error.code', ERR_CONSUL_PAYLOAD);
        expect(result).to.have.nested.property('error.details.field', c.field);
        expect((result as { error: { message: string } }).error.message).to.include(c.message);
      });
    }
  });

  it('agrees with JSON.parse and the full parse on 4,000 random bodies, and reads every plain one itself (seeded)', () => {
    const random = new RandomBodies(seededRandom(20261202));
    let plain = 0;
    for (let i = 0; i < 4000; i++) {
      const body = random.body();
      expectSameAsFullParse(body.text);
      if (body.plain) {
        plain++;
        expect(scanNodeInstances(body.text), body.text).to.not.equal(undefined);
      }
    }
    expect(plain, 'plain bodies among them').to.be.greaterThan(800);
  });

  it('agrees on 4,000 damaged bodies, and reads none that JSON.parse rejects (seeded)', () => {
    const random = new RandomBodies(seededRandom(4242));
    let rejected = 0;
    for (let i = 0; i < 4000; i++) {
      const text = random.mutated(random.body().text);
      const result = expectSameAsFullParse(text);
      if ('error' in result && result.error.class === 'SyntaxError') {
        rejected++;
        expect(scanNodeInstances(text), text).to.equal(undefined);
      }
    }
    expect(rejected, 'bodies JSON.parse rejects among them').to.be.greaterThan(2000);
  });

  it('keeps no view into the body: what it returns holds its own characters', function () {
    this.timeout(60_000);
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const padding = 'x'.repeat(1_000_000);
    const scanned: unknown[] = [];
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let n = 0; n < 30; n++) {
      // Each body ~1 MB; its IDs and names are long enough (13+) that a slice of them would be a view into it; every
      // other one has an escape (a tab), decoded from pieces of the body.
      const services: Record<string, unknown> = {};
      for (let i = 0; i < 20; i++) {
        const id = `long-service-id-${n}-${i}${i % 2 ? '\t' : ''}`;
        services[id] = { ID: id, Service: `long-service-name-${i}${i % 4 === 1 ? '\t' : ''}`, Meta: { pad: i === 0 ? padding : '' }, ModifyIndex: i };
      }
      scanned.push(scanNodeInstances(asReceived(JSON.stringify({ Services: services }))));
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(scanned.every((s) => s instanceof Map && s.size === 20)).to.equal(true);
    expect(grown, 'heap kept by 30 readings of 1 MB bodies').to.be.below(8_000_000);
  });
});
