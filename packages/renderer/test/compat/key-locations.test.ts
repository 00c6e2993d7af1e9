import { expect } from 'chai';
import { locateHclKeys, locateJsonKeys } from '../../src/compat';

describe('compat: key locations (lines for error messages)', () => {
  it('HCL: blocks numbered per name, attributes, object values; strings, comments and heredocs skipped', () => {
    const text = [
      '# a { comment } with braces', //           1
      'consul {', //                               2
      '  address = "a{b}c" // "x = 1"', //         3
      '  ssl {', //                                4
      '    verify = false', //                     5
      '  }', //                                    6
      '}', //                                      7
      'template {', //                             8
      '  contents = <<EOT', //                     9
      'destination = "not a key" {', //            10
      'EOT', //                                    11
      '  perms = 0640', //                         12
      '  wait = { min = "1s" }', //                13
      '}', //                                      14
      '/* template {', //                          15
      '} */', //                                   16
      'template {', //                             17
      '  source = "${x}"', //                      18
      '  command = ["a", "b"]', //                 19
      '}', //                                      20
    ].join('\n');
    const at = locateHclKeys(text);
    expect(Object.fromEntries([...at].map(([k, v]) => [k, v.line]))).to.deep.equal({
      'consul[0]': 2,
      'consul[0].address': 3,
      'consul[0].ssl[0]': 4,
      'consul[0].ssl[0].verify': 5,
      'template[0]': 8,
      'template[0].contents': 9,
      'template[0].perms': 12,
      'template[0].wait': 13,
      'template[0].wait.min': 13,
      'template[1]': 17,
      'template[1].source': 18,
      'template[1].command': 19,
    });
    expect(at.get('template[0].perms')?.raw).to.equal('0640');
  });

  it('JSON: objects by key, arrays by index, raw literals', () => {
    const at = locateJsonKeys('{\n  "template": [\n    { "perms": 420 },\n    {\n      "source": "a:b"\n    }\n  ],\n  "wait": { "min": "1s" }\n}\n');
    expect(Object.fromEntries([...at].map(([k, v]) => [k, [v.line, v.raw]]))).to.deep.equal({
      template: [2, undefined],
      'template[0].perms': [3, '420'],
      'template[1].source': [5, '"a:b"'],
      wait: [8, undefined],
      'wait.min': [8, '"1s"'],
    });
  });
});
