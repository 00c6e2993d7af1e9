#!/usr/bin/env node
'use strict';
// Memory over speed, however the renderer is started (the image, a unit file, tests, the benches): V8's
// --optimize-for-size keeps the young generation small, grows the old one less far past what is live between full
// GCs, and lets the heap shrink once a burst of changes is over. A renderer watching 1,000 services x 10 instances
// holds ~26 MiB of live heap; its transient reads (each /v1/health/state/any answer, the rendered file and its
// previous bytes) otherwise keep it at 165-170 MiB of RSS for good. --no-flush-bytecode: under that flag's
// frequent memory-reducing GCs V8 also drops the bytecode of functions idle since the last render, so each render
// compiled the template and its filters again (1,000 services: 19 ms -> 39-65 ms; with this, 17 ms). Both flags are
// read by V8 as it runs, so setting them before anything is loaded takes effect. The price is CPU: `node
// --no-optimize-for-size bin/renderer.js` keeps V8's defaults, for a renderer where latency matters more than
// memory (no-reload bench, 1,000 upstreams: Consul change -> routed p50 ~96 ms with the defaults, ~200 with these;
// the render of 10,000 x 10 ~250 ms against ~410-440 ms). The image adds NODE_OPTIONS=--max-semi-space-size=1 (a
// heap-size flag, read only at start, so it cannot be set from here): 1,000 x 10 at 100.6 MiB right after a change,
// 96.4 settled, against 107.6 / 101.7 with this file's flags alone and 153.6 / 106.1 with that one alone.
if (!process.execArgv.some((arg) => arg.startsWith('--optimize-for-size') || arg.startsWith('--no-optimize-for-size'))) {
  require('node:v8').setFlagsFromString('--optimize-for-size');
  require('node:v8').setFlagsFromString('--no-flush-bytecode');
}
require('../dist/cli.js').main(process.argv.slice(2));
