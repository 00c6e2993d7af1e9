// Build-stage helper: narrows the root package.json to the workspaces one image needs, so that
// `npm prune --omit=dev --offline` also drops the other daemons' dependencies. Runs inside the image build only.
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');

const keep = process.argv.slice(2);
if (keep.length === 0) {
  console.error('usage: node keep-workspaces.js <workspace dir>...');
  process.exit(2);
}
const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
const unknown = keep.filter((dir) => !(manifest.workspaces || []).includes(dir));
if (unknown.length > 0) {
  console.error(`keep-workspaces: not workspaces of the root package.json: ${unknown.join(', ')}`);
  process.exit(1);
}
manifest.workspaces = keep;
delete manifest.devDependencies;
delete manifest.scripts;
writeFileSync('package.json', `${JSON.stringify(manifest, null, 2)}\n`);
