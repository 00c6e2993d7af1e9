import { expect } from 'chai';
import { commandArgv, commandText, describeFailure, hasPlaceholder, runCommand, shellQuote } from '../src/act/commands';

describe('renderer commands', () => {
  const cases: [string, Parameters<typeof commandArgv>[0], Record<string, string>, string[]][] = [
    ['string through sh -c', 'nginx -s reload', {}, ['/bin/sh', '-c', 'nginx -s reload']],
    ['placeholder shell-quoted in a string', 'nginx -t -c {{candidate}}', { candidate: "/tmp/a b'c" }, ['/bin/sh', '-c', `nginx -t -c '/tmp/a b'\\''c'`]],
    ['array runs as is, placeholder verbatim', ['nginx', '-t', '-c', '{{ candidate }}'], { candidate: '/tmp/a b' }, ['nginx', '-t', '-c', '/tmp/a b']],
    ['unknown placeholders stay', 'echo {{nope}}', {}, ['/bin/sh', '-c', 'echo {{nope}}']],
  ];
  for (const [name, spec, placeholders, want] of cases) it(name, () => expect(commandArgv(spec, placeholders)).to.deep.equal(want));

  it('detects placeholders; quotes only when needed', () => {
    expect(hasPlaceholder('nginx -t -c {{candidate}}', 'candidate')).to.equal(true);
    expect(hasPlaceholder(['nginx', '-t'], 'candidate')).to.equal(false);
    expect(hasPlaceholder(undefined, 'candidate')).to.equal(false);
    expect(shellQuote('/etc/nginx/a.conf')).to.equal('/etc/nginx/a.conf');
    expect(commandText(['a', 'b c'])).to.equal(`a 'b c'`);
  });

  it('captures exit code and output', async () => {
    const result = await runCommand('echo out; echo "nginx: [emerg] bad" >&2; exit 3', { timeoutMs: 5000 });
    expect(result.ok).to.equal(false);
    expect(result.code).to.equal(3);
    expect(result.stdout).to.equal('out\n');
    expect(describeFailure(result)).to.equal('exit 3: nginx: [emerg] bad');
    expect((await runCommand(['true'], { timeoutMs: 5000 })).ok).to.equal(true);
  });

  it('kills a command (and what it started) at the timeout', async () => {
    const started = Date.now();
    const result = await runCommand('sleep 30 & sleep 30; wait', { timeoutMs: 200 });
    expect(result.ok).to.equal(false);
    expect(result.timedOut).to.equal(true);
    expect(Date.now() - started).to.be.below(5000);
    expect(describeFailure(result)).to.match(/timed out/);
  });

  it('reports a command that cannot start', async () => {
    const result = await runCommand(['/nonexistent/binary'], { timeoutMs: 5000 });
    expect(result.ok).to.equal(false);
    expect(result.stderr).to.match(/ENOENT/);
  });
});
