// A byte pipe between a TCP address and a unix socket, run inside a host's namespace (plain JS: no build step).
// Unix sockets are files, so they cross network namespaces; this is how the root namespace reaches a host's
// loopback (and a host reaches the root's loopback) without any address of the testbed's /24 outside it.
// Usage: node forwarder.cjs --listen tcp:HOST:PORT|unix:PATH --connect tcp:HOST:PORT|unix:PATH
'use strict';
const net = require('node:net');
const fs = require('node:fs');

function endpoint(spec, flag) {
  const tcp = /^tcp:(.+):(\d+)$/.exec(spec ?? '');
  if (tcp) return { host: tcp[1], port: Number(tcp[2]) };
  const unix = /^unix:(\/.+)$/.exec(spec ?? '');
  if (unix) return { path: unix[1] };
  process.stderr.write(`forwarder: ${flag} must be tcp:HOST:PORT or unix:PATH, got ${JSON.stringify(spec)}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
const listen = endpoint(args[args.indexOf('--listen') + 1], '--listen');
const connect = endpoint(args[args.indexOf('--connect') + 1], '--connect');
if (listen.path) fs.rmSync(listen.path, { force: true });

const server = net.createServer((inbound) => {
  const outbound = net.connect(connect);
  inbound.pipe(outbound).pipe(inbound);
  const end = () => { inbound.destroy(); outbound.destroy(); };
  inbound.on('error', end);
  outbound.on('error', end);
  inbound.on('close', end);
  outbound.on('close', end);
});
server.on('error', (error) => {
  process.stderr.write(`forwarder: ${error.message}\n`);
  process.exit(1);
});
server.listen(listen, () => process.stdout.write('forwarder: ready\n'));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
