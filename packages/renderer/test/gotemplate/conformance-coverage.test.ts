// Issue 17's acceptance: at least 40 conformance cases, and every function it lists used by at least one of them.

import { expect } from 'chai';
import { API_CASES } from './conformance-api.test';
import { GO_CASES } from './conformance-go.test';
import { HELPER_CASES } from './conformance-helpers.test';

const ISSUE_17_FUNCTIONS = [
  'service', 'services', 'node', 'nodes', 'datacenters', 'key', 'keyOrDefault', 'keyExists', 'ls', 'safeLs', 'tree', 'safeTree', 'env', 'envOrDefault',
  'file', 'byKey', 'byTag', 'byMeta', 'contains', 'containsAll', 'containsAny', 'containsNone', 'containsNotAll', 'explode', 'explodeMap', 'in',
  'indent', 'join', 'split', 'splitToMap', 'trimSpace', 'replaceAll', 'regexMatch', 'regexReplaceAll', 'toLower', 'toUpper', 'toTitle', 'toJSON',
  'toJSONPretty', 'parseJSON', 'parseBool', 'parseInt', 'parseFloat', 'base64Encode', 'base64Decode', 'sha256Hex', 'md5sum', 'timestamp', 'loop',
  'scratch', 'add', 'subtract', 'multiply', 'divide', 'modulo', 'minimum', 'maximum',
  // text/template's own (call has no doc example a nil-data consul-template render can reach: see exec.test.ts).
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or', 'not', 'len', 'index', 'slice', 'print', 'printf', 'println', 'html', 'js', 'urlquery',
];

describe('gotemplate conformance coverage', () => {
  const all = [...Object.values(API_CASES), ...Object.values(HELPER_CASES), ...Object.values(GO_CASES)];

  it('has at least 40 cases, each saying where its expectation comes from', () => {
    expect(all.length).to.be.at.least(40);
    for (const c of all) expect(c.from).to.match(/\S/);
  });

  it('uses every function of issue 17 at least once', () => {
    const unused = ISSUE_17_FUNCTIONS.filter((name) => !all.some((c) => new RegExp(`(^|[\\s(|])${name}([\\s)}.]|$)`).test(c.template)));
    expect(unused).to.deep.equal([]);
  });
});
