#!/usr/bin/env node
'use strict';
// Memory over speed, however the renderer is started (the image, a unit file, tests, the benches): V8's
// --optimize-for-size keeps the young generation small, grows the old one less far past what is live between full
// GCs, and lets the heap shrink once a burst of changes is over. A renderer watching 1,000 services x 10 instances
// holds ~27 MiB of live heap; its transient reads (each /v1/health/state/any answer, the rendered file and its
// previous bytes) otherwise keep it at 165-170 MiB of RSS for good. The flag is read by the GC as it sizes the
// heap, so setting it before anything is loaded takes effect.
if (!process.execArgv.some((arg) => arg.startsWith('--optimize-for-size') || arg.startsWith('--no-optimize-for-size'))) {
  require('node:v8').setFlagsFromString('--optimize-for-size');
}
require('../dist/cli.js').main(process.argv.slice(2));
