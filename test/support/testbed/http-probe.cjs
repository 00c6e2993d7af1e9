// One HTTP GET from inside a host's namespace (plain JS: no build step). Prints "<status> <body>" and exits 0, or
// prints the error and exits 1. Usage: node http-probe.cjs URL [timeoutMs]
'use strict';
const http = require('node:http');
const [url, timeout] = process.argv.slice(2);
const request = http.get(url, { timeout: Number(timeout ?? 2000), agent: false }, (response) => {
  let body = '';
  response.setEncoding('utf8');
  response.on('data', (chunk) => { body += chunk; });
  response.on('end', () => { process.stdout.write(`${response.statusCode} ${body.trim()}\n`); process.exit(0); });
});
request.on('timeout', () => request.destroy(new Error(`timed out after ${timeout ?? 2000} ms`)));
request.on('error', (error) => { process.stdout.write(`error: ${error.message}\n`); process.exit(1); });
