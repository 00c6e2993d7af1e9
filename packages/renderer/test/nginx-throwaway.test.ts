import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findIncludes, parseNginxTest, writeThrowaway } from '../src/act/nginx-throwaway';

describe('renderer nginx -t on a throwaway main config', () => {
  describe('which validate commands are an nginx -t it can rewrite', () => {
    const cases: [string | string[], string[] | undefined][] = [
      ['nginx -t', ['nginx', '-t', '-c', 'MAIN']],
      ['/usr/sbin/nginx -t -q -c /etc/nginx/nginx.conf', ['/usr/sbin/nginx', '-t', '-q', '-c', 'MAIN']],
      [['nginx', '-p', '/srv/', '-c/srv/n.conf', '-e', 'stderr', '-tq'], ['nginx', '-p', '/srv/', '-e', 'stderr', '-tq', '-c', 'MAIN']],
      [['nginx', '-g', 'daemon off;', '-T'], ['nginx', '-g', 'daemon off;', '-T', '-c', 'MAIN']],
      ['nginx -s reload', undefined],
      ['nginx -t && echo ok', undefined],
      ['nginx -t -c "/etc/my nginx.conf"', undefined],
      ['haproxy -c -f /etc/haproxy.cfg', undefined],
      [['nginx', '-t', '-x'], undefined],
      [['nginx', '-c'], undefined],
    ];
    for (const [spec, want] of cases) {
      it(`${JSON.stringify(spec)} -> ${want ? want.join(' ') : 'not rewritten'}`, () => {
        expect(parseNginxTest(spec)?.argvFor('MAIN')).to.deep.equal(want);
      });
    }
  });

  it('finds include statements, not words in comments, strings or other directives', () => {
    const text = `# include nope.conf;\nhttp {\n  include  mime.types;\n  log_format x "include y;";\n  include "conf.d/*.conf";include 'a b.conf';\n}\n`;
    expect(findIncludes(text).map((i) => [i.pattern, text.slice(i.start, i.end)])).to.deep.equal([
      ['mime.types', 'include  mime.types;'],
      ['conf.d/*.conf', 'include "conf.d/*.conf";'],
      ['a b.conf', "include 'a b.conf';"],
    ]);
  });

  it('points every include reaching a destination at its candidate, through rewritten intermediate files; relative paths resolve as before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'renderer-throwaway-'));
    try {
      mkdirSync(join(dir, 'conf.d'));
      mkdirSync(join(dir, 'sites'));
      writeFileSync(join(dir, 'mime.types'), 'types {}\n');
      writeFileSync(join(dir, 'nginx.conf'), 'events {}\nhttp {\n  include mime.types;\n  include conf.d/*.conf;\n}\n');
      writeFileSync(join(dir, 'conf.d', 'a.conf'), 'include sites/*.conf;\n');
      writeFileSync(join(dir, 'conf.d', 'z.conf'), '# untouched\n');
      writeFileSync(join(dir, 'sites', 'live.conf'), 'old\n');
      const candidate = join(dir, 'sites', '.live.conf.1.cafebabe.tmp');
      const fresh = join(dir, 'sites', 'new.conf');
      const t = await writeThrowaway(join(dir, 'nginx.conf'), new Map([[join(dir, 'sites', 'live.conf'), candidate], [fresh, `${fresh}.cand`]]));
      expect(t).to.not.equal(undefined);
      const main = readFileSync(t!.main, 'utf8');
      expect(main).to.include(`include "${join(dir, 'mime.types')}";`);
      const [, rewrittenA] = /include "([^"]*a\.conf)";/.exec(main) ?? [];
      expect(rewrittenA, main).to.match(/\.renderer-rewritten\/1-a\.conf$/);
      expect(main).to.include(`include "${join(dir, 'conf.d', 'z.conf')}";`);
      // glob order; a destination not on disk yet is included too
      expect(readFileSync(rewrittenA, 'utf8')).to.equal(`include "${candidate}"; include "${fresh}.cand";\n`);
      expect(existsSync(join(t!.main, '..', 'mime.types')), 'the config dir mirrored').to.equal(true);
      await t!.remove();
      expect(existsSync(t!.main)).to.equal(false);
      expect(readFileSync(join(dir, 'sites', 'live.conf'), 'utf8')).to.equal('old\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a wildcard in a directory part is not followed (the caller swaps under a journal instead)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'renderer-throwaway-'));
    try {
      writeFileSync(join(dir, 'nginx.conf'), 'events {}\nhttp { include */x.conf; }\n');
      expect(await writeThrowaway(join(dir, 'nginx.conf'), new Map([[join(dir, 'a', 'x.conf'), join(dir, 'c')]]))).to.equal(undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an include of a symlink to the destination (Debian sites-enabled -> sites-available) reads the candidate; a destination nothing includes is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'renderer-throwaway-'));
    try {
      mkdirSync(join(dir, 'sites-available'));
      mkdirSync(join(dir, 'sites-enabled'));
      const destination = join(dir, 'sites-available', 'default');
      writeFileSync(destination, 'old\n');
      symlinkSync(destination, join(dir, 'sites-enabled', 'default'));
      writeFileSync(join(dir, 'nginx.conf'), 'events {}\nhttp { include sites-enabled/*; }\n');
      const t = await writeThrowaway(join(dir, 'nginx.conf'), new Map([[destination, '/cand']]));
      expect(readFileSync(t!.main, 'utf8')).to.include('include "/cand";');
      await t!.remove();
      const elsewhere = join(dir, 'not-included.conf');
      expect(await writeThrowaway(join(dir, 'nginx.conf'), new Map([[elsewhere, '/cand']])), 'nginx -t would not read it: no check').to.equal(undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
