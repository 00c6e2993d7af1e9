// `nginx -t` without touching the live path: a throwaway main config, the real one with every include that reaches a
// destination pointed at that destination's candidate instead, checked with `nginx -t -c <throwaway>`. The candidate
// is validated exactly where nginx will read it from, and nothing live is ever replaced by an unvalidated file.
//
// The throwaway lives in a temp directory that mirrors the real config directory (a symlink per entry), so what
// nginx resolves against the config directory (`include mime.types;`, `include snippets/x.conf;` in a candidate,
// relative ssl_certificate paths) resolves as it does for the real config. A command this cannot rewrite (a shell
// pipeline, an unknown flag, a wildcard in a directory part of an include) answers undefined: the caller falls back
// to validating with the candidates swapped in under a journal (batch-apply.ts).

import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { CommandSpec } from '../config';
import { commandArgv } from './commands';

/** An `nginx -t` command taken apart: where its main config is, and how to run it on another one. */
export interface NginxTest {
  nginx: string;
  /** -c as given (undefined: nginx's compiled --conf-path). */
  conf?: string;
  /** -p as given (undefined: nginx's compiled --prefix). */
  prefix?: string;
  /** The argv with the main config replaced by `main`. */
  argvFor: (main: string) => string[];
}

const WITH_VALUE = new Set(['c', 'p', 'g', 'e']);
const FLAGS = new Set(['t', 'T', 'q']);
/** A shell command the renderer may split on spaces itself: no quoting, expansion or operators. */
const PLAIN_WORDS = /^[A-Za-z0-9_./:=@%+ -]+$/;

/** The `nginx -t` in a validate command (after placeholders), or undefined when it is something else. */
export function parseNginxTest(spec: CommandSpec, placeholders: Record<string, string> = {}): NginxTest | undefined {
  let argv = commandArgv(spec, placeholders);
  if (!Array.isArray(spec)) {
    const text = argv[2];
    if (!PLAIN_WORDS.test(text)) return undefined;
    argv = text.trim().split(/ +/);
  }
  if (argv.length < 2 || basename(argv[0]) !== 'nginx') return undefined;
  let conf: string | undefined;
  let prefix: string | undefined;
  let testing = false;
  const rest: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i];
    if (!/^-[A-Za-z]/.test(arg)) return undefined;
    const letter = arg[1];
    if (WITH_VALUE.has(letter)) {
      const value = arg.length > 2 ? arg.slice(2) : argv[++i];
      if (value === undefined) return undefined;
      if (letter === 'c') conf = value;
      else {
        if (letter === 'p') prefix = value;
        rest.push(`-${letter}`, value);
      }
      continue;
    }
    for (const flag of arg.slice(1)) {
      if (!FLAGS.has(flag)) return undefined;
      if (flag === 't' || flag === 'T') testing = true;
    }
    rest.push(arg);
  }
  if (!testing) return undefined;
  const nginx = argv[0];
  return { nginx, conf, prefix, argvFor: (main) => [nginx, ...rest, '-c', main] };
}

const compiled = new Map<string, Promise<{ prefix?: string; confPath?: string }>>();

/** nginx's compiled --prefix and --conf-path (`nginx -V`), once per binary. */
function compiledPaths(nginx: string): Promise<{ prefix?: string; confPath?: string }> {
  let known = compiled.get(nginx);
  if (!known) {
    known = new Promise((done) => {
      execFile(nginx, ['-V'], { timeout: 10_000, encoding: 'utf8' }, (_err, stdout, stderr) => {
        const text = `${stdout}${stderr}`;
        done({ prefix: /--prefix=(\S+)/.exec(text)?.[1], confPath: /--conf-path=(\S+)/.exec(text)?.[1] });
      });
    });
    compiled.set(nginx, known);
  }
  return known;
}

/** The absolute main config path nginx would read for this command. */
export async function mainConfigOf(test: NginxTest): Promise<string> {
  const paths = test.conf === undefined || test.prefix === undefined ? await compiledPaths(test.nginx) : {};
  const prefix = test.prefix ?? paths.prefix ?? '/usr/local/nginx/';
  const conf = test.conf ?? paths.confPath ?? 'conf/nginx.conf';
  return isAbsolute(conf) ? conf : resolve(prefix, conf);
}

/** An `include` statement in a config text: its span (from `include` to the `;`) and its argument. */
export interface IncludeStatement {
  start: number;
  end: number;
  pattern: string;
}

function unquote(word: string): string {
  const q = word[0];
  if ((q !== '"' && q !== "'") || word[word.length - 1] !== q) return word;
  return word.slice(1, -1).replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : c));
}

/** nginx's tokens (words, quoted strings, `;`, `{`, `}`, `#` comments skipped): the include statements of a config. */
export function findIncludes(text: string): IncludeStatement[] {
  const found: IncludeStatement[] = [];
  let words: { text: string; start: number }[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === ';' || c === '{' || c === '}') {
      if (c === ';' && words.length === 2 && words[0].text === 'include') found.push({ start: words[0].start, end: i + 1, pattern: unquote(words[1].text) });
      words = [];
      i++;
    } else {
      const start = i;
      if (c === '"' || c === "'") {
        i++;
        while (i < text.length && text[i] !== c) i += text[i] === '\\' ? 2 : 1;
        i++;
      } else {
        while (i < text.length && !/[\s;{}]/.test(text[i])) i++;
      }
      words.push({ text: text.slice(start, Math.min(i, text.length)), start });
    }
  }
  return found;
}

const WILDCARD = /[*?[]/;

/** glob(3)'s pattern of one path segment as a RegExp; a leading dot is matched only by a literal dot. */
function segmentPattern(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        const body = pattern.slice(i + 1, close);
        re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${pattern.startsWith('.') ? '' : '(?!\\.)'}${re}$`);
}

class Unsupported extends Error {}

/** The files an include pattern names, in nginx's order (glob sorts), with destinations not yet on disk added. */
async function expand(pattern: string, destinations: ReadonlySet<string>): Promise<string[]> {
  if (!WILDCARD.test(pattern)) return [pattern];
  const dir = dirname(pattern);
  if (WILDCARD.test(dir)) throw new Unsupported(`include ${pattern}: a wildcard in a directory`);
  const match = segmentPattern(basename(pattern));
  const names = new Set((await fs.readdir(dir).catch(() => [] as string[])).filter((n) => match.test(n)));
  for (const d of destinations) if (dirname(d) === dir && match.test(basename(d))) names.add(basename(d));
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((n) => join(dir, n));
}

const quoteInclude = (path: string): string => `include "${path.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}";`;

export interface Throwaway {
  main: string;
  remove: () => Promise<void>;
}

/** The path with symlinks resolved (Debian's sites-enabled/x -> sites-available/x); for a file not there yet, its directory's. */
async function realPath(path: string): Promise<string> {
  try {
    return await fs.realpath(path);
  } catch {
    return join(await fs.realpath(dirname(path)).catch(() => dirname(path)), basename(path));
  }
}

/**
 * Writes the throwaway config tree for `main` with each destination in `candidates` (destination -> candidate path)
 * replaced, matched by real path, so an include of a symlink to a destination reads the candidate too. Undefined when
 * an include cannot be followed, or when a destination in `required` is not reached by any include (the throwaway
 * would not check it): the caller falls back to the swap under a journal.
 */
export async function writeThrowaway(main: string, candidates: ReadonlyMap<string, string>, required: Iterable<string> = candidates.keys()): Promise<Throwaway | undefined> {
  const confDir = dirname(main);
  const dir = await fs.mkdtemp(join(tmpdir(), `renderer-nginx-check-${process.pid}-`));
  const remove = () => fs.rm(dir, { recursive: true, force: true });
  try {
    for (const entry of await fs.readdir(confDir)) await fs.symlink(join(confDir, entry), join(dir, entry));
    await fs.rm(join(dir, basename(main)), { force: true });
    const destinations = new Set(candidates.keys());
    const byRealPath = new Map<string, string>();
    for (const destination of candidates.keys()) byRealPath.set(await realPath(destination), destination);
    const reached = new Set<string>();
    const rewritten = join(dir, '.renderer-rewritten');
    await fs.mkdir(rewritten);
    let copies = 0;
    // The path nginx should read for `file`: its candidate, a rewritten copy when it includes one, or itself.
    const pathFor = async (file: string, depth: number, into?: string): Promise<string> => {
      const destination = candidates.has(file) ? file : byRealPath.get(await realPath(file));
      if (destination !== undefined) {
        reached.add(destination);
        return candidates.get(destination) as string;
      }
      if (depth > 10) throw new Unsupported(`includes nested deeper than 10 at ${file}`);
      const text = await fs.readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined) return file; // nginx -t reports it
      let out = '';
      let at = 0;
      let changed = false;
      for (const inc of findIncludes(text)) {
        const files = await expand(isAbsolute(inc.pattern) ? inc.pattern : join(confDir, inc.pattern), destinations);
        const paths = await Promise.all(files.map((f) => pathFor(f, depth + 1)));
        if (paths.some((p, k) => p !== files[k])) changed = true;
        out += text.slice(at, inc.start) + (paths.length > 0 ? paths.map(quoteInclude).join(' ') : `# ${inc.pattern}: no file`);
        at = inc.end;
      }
      out += text.slice(at);
      if (!changed && into === undefined) return file;
      const target = into ?? join(rewritten, `${++copies}-${basename(file)}`);
      await fs.writeFile(target, out);
      return target;
    };
    const throwaway = join(dir, basename(main));
    await pathFor(main, 0, throwaway);
    for (const destination of required) if (!reached.has(destination)) throw new Unsupported(`${destination} is not included from ${main}`);
    return { main: throwaway, remove };
  } catch (err) {
    await remove();
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
}
