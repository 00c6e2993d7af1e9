// The instances of a /v1/catalog/node/<node> answer read straight from its JSON text: a walk that keeps each entry's
// ID, Service and ModifyIndex and steps over everything else (Tags, Meta, TaggedAddresses, Weights, Proxy...), which
// JSON.parse would build only for the feed to drop at once (on a node of 2,000 instances, most of a 485 KB body).
//
// The runs it steps over are matched first by regular expressions of the same grammar (below); the walk takes what
// they leave (kept fields, escaped keys, deep nesting, and every malformed text, which it rejects itself).
//
// It is the fast path of parseNodeInstances (service-change-feed-nodes.ts), not a second definition of the answer:
// it returns a value only for well-formed JSON of the plain shape Consul writes (an object of objects keyed by their
// string IDs, each key once), and undefined for anything else (malformed JSON, a field of the wrong type, a repeated
// key, an ID other than its key, a key JSON.parse would reorder), which the caller then reads in full, so that every
// error, and the result of every odd body, is the full parse's own.

import type { NodeInstances } from './service-change-feed-nodes';

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const SLASH = 0x2f;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const UPPER_E = 0x45;
const LBRACKET = 0x5b;
const BACKSLASH = 0x5c;
const RBRACKET = 0x5d;
const LOWER_E = 0x65;
const LOWER_U = 0x75;
const LBRACE = 0x7b;
const RBRACE = 0x7d;

/** What each one-letter escape stands for (`\u` is decoded apart). */
const ESCAPES: ReadonlyMap<number, string> = new Map([
  [QUOTE, '"'],
  [BACKSLASH, '\\'],
  [SLASH, '/'],
  [0x62, '\b'],
  [0x66, '\f'],
  [0x6e, '\n'],
  [0x72, '\r'],
  [0x74, '\t'],
]);

// The same grammar as regular expressions, for the runs of text the walk only steps over: irregexp matches them in
// native code, one call for what the walk would take tens of steps for. Each piece matches its text one way only
// (no nested ambiguity), so a failed match costs at most one pass back over what it matched.
const WS = String.raw`[ \t\n\r]*`;
// (A run of plain characters, then escapes each followed by a run: irregexp steps over a run without backtrack entries.)
const STRING = String.raw`"[^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*"`;
const NUMBER = String.raw`-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?`;
const SCALAR = `(?:${STRING}|${NUMBER}|true|false|null)`;

/** A JSON value nested at most `depth` containers deep (deeper ones are left to the walk). */
function valuePattern(depth: number): string {
  if (depth === 0) return SCALAR;
  const inner = valuePattern(depth - 1);
  // A member or element is followed by a comma and another, or by the closer: one copy of `inner` per container.
  const object = String.raw`\{${WS}(?:${STRING}${WS}:${WS}${inner}${WS}(?:,${WS}(?=")|(?=\})))*\}`;
  const array = String.raw`\[${WS}(?:${inner}${WS}(?:,${WS}(?=[^\]])|(?=\])))*\]`;
  return `(?:${SCALAR}|${object}|${array})`;
}

/** Four deep holds a sidecar's Proxy (Proxy.Upstreams[0].Config). */
const VALUE = valuePattern(4);

/** One value, from lastIndex. */
const SKIP_VALUE = new RegExp(VALUE, 'y');

/**
 * The members of an instance before the next one the walk keeps, each with its comma: keys without escapes (one with
 * an escape may spell a kept name) that are not ID, Service or ModifyIndex. Matches nothing at a kept key.
 */
const SKIP_MEMBERS = new RegExp(String.raw`(?:"(?!(?:ID|Service|ModifyIndex)")[^"\\\x00-\x1f]*"${WS}:${WS}${VALUE}${WS},${WS})*`, 'y');

/** Thrown inside the walk when the text is not the plain shape; never leaves this file. */
const NOT_PLAIN = new Error('not the plain shape: read in full');

/** The entry fields the walk keeps. */
const enum Field {
  Other,
  ID,
  Service,
  ModifyIndex,
}

/** The value of a hex digit, or -1. */
function hexDigit(c: number): number {
  if (c >= ZERO && c <= NINE) return c - ZERO;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** A key JSON.parse puts first, in numeric order (an array index), whatever its place in the text. */
function isArrayIndex(key: string): boolean {
  const first = key.charCodeAt(0);
  if (!(first >= ZERO && first <= NINE) || (first === ZERO && key.length > 1) || key.length > 10) return false;
  for (let i = 1; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < ZERO || c > NINE) return false;
  }
  return Number(key) <= 4_294_967_294;
}

/**
 * `s` as a string of its own. A slice of 13 characters or more is a view into the whole body in V8 and would keep
 * it alive for as long as the feed keeps the ID (every node's map lives until the node changes); concatenating
 * flattens into new storage, and the slice taken from that holds only its own characters (and one more).
 */
function detached(s: string): string {
  return s.length < 13 ? s : (' ' + s).substring(1);
}

class NodeInstancesScan {
  private pos = 0;
  /** Whether the string last stepped over had an escape. */
  private escaped = false;
  /** Where the characters of the key last read end, and whether they have an escape. */
  private keyEnd = 0;
  private keyEscaped = false;
  /** The closers of the containers skipValue is inside. */
  private readonly closers: number[] = [];
  /** The service names met so far: one string per name, not one per instance. */
  private readonly names = new Map<string, string>();

  constructor(private readonly text: string) {}

  /** The whole answer: null for `null`, else the instances of its Services. */
  body(): NodeInstances | null {
    const t = this.text;
    this.space();
    if (t.startsWith('null', this.pos)) {
      this.pos += 4;
      this.end();
      return null;
    }
    this.expect(LBRACE);
    let instances: NodeInstances | undefined;
    this.space();
    if (t.charCodeAt(this.pos) === RBRACE) this.pos++;
    else {
      for (;;) {
        const start = this.key();
        if (this.isKey(start, 'Services')) {
          if (instances) throw NOT_PLAIN; // the last of two wins in JSON.parse: left to it
          if (t.startsWith('null', this.pos)) {
            this.pos += 4;
            instances = new Map();
          } else instances = this.services();
        } else this.skipValue();
        if (this.nextMember()) break;
      }
    }
    this.end();
    return instances ?? new Map();
  }

  /** The Services object, at its `{`. */
  private services(): NodeInstances {
    const t = this.text;
    const out: NodeInstances = new Map();
    this.expect(LBRACE);
    this.space();
    if (t.charCodeAt(this.pos) === RBRACE) {
      this.pos++;
      return out;
    }
    for (;;) {
      const keyStart = this.key();
      const key = this.keyEscaped ? detached(this.decode(keyStart, this.keyEnd)) : detached(t.slice(keyStart, this.keyEnd));
      // Reordered by JSON.parse, or repeated (every ID so far is its key, so `out` holds every key so far).
      if (isArrayIndex(key) || out.has(key)) throw NOT_PLAIN;
      this.instance(key, out);
      if (this.nextMember()) return out;
    }
  }

  /** One instance object, at its `{`; its ID must be its key (or absent or null, which read as the key). */
  private instance(key: string, out: NodeInstances): void {
    const t = this.text;
    this.expect(LBRACE);
    // Each field's last occurrence counts, as in JSON.parse. State: 0 absent (or a null ID), 1 good, 2 wrong type.
    let id = 0;
    let idStart = 0;
    let idEnd = 0;
    let idEscaped = false;
    let service = 0;
    let serviceStart = 0;
    let serviceEnd = 0;
    let serviceEscaped = false;
    let modify = 0;
    let modifyIndex = 0;
    this.space();
    if (t.charCodeAt(this.pos) === RBRACE) this.pos++;
    else {
      for (;;) {
        // At a key that may be kept (I, S, M: ID, Service, ModifyIndex, or Meta) the walk reads it at once.
        this.space();
        const initial = t.charCodeAt(this.pos + 1);
        if (initial !== 0x49 && initial !== 0x53 && initial !== 0x4d) {
          SKIP_MEMBERS.lastIndex = this.pos;
          SKIP_MEMBERS.test(t); // matches, if only the empty text
          this.pos = SKIP_MEMBERS.lastIndex;
        }
        const field = this.field(this.key());
        const c = t.charCodeAt(this.pos);
        if (field === Field.Other) this.skipValue();
        else if (field === Field.ID && c === QUOTE) {
          idStart = this.pos + 1;
          idEnd = this.stringEnd(idStart);
          idEscaped = this.escaped;
          this.pos = idEnd + 1;
          id = 1;
        } else if (field === Field.ID && t.startsWith('null', this.pos)) {
          this.pos += 4;
          id = 0;
        } else if (field === Field.Service && c === QUOTE) {
          serviceStart = this.pos + 1;
          serviceEnd = this.stringEnd(serviceStart);
          serviceEscaped = this.escaped;
          this.pos = serviceEnd + 1;
          service = 1;
        } else if (field === Field.ModifyIndex && (c === MINUS || (c >= ZERO && c <= NINE))) {
          modifyIndex = this.number();
          modify = Number.isInteger(modifyIndex) ? 1 : 2;
        } else {
          this.skipValue();
          if (field === Field.ID) id = 2;
          else if (field === Field.Service) service = 2;
          else modify = 2;
        }
        if (this.nextMember()) break;
      }
    }
    if (id === 2 || service !== 1 || modify !== 1) throw NOT_PLAIN;
    if (id === 1 && !this.spells(idStart, idEnd, idEscaped, key)) throw NOT_PLAIN;
    out.set(key, { service: this.serviceName(serviceStart, serviceEnd, serviceEscaped), modifyIndex });
  }

  /** Which kept field the key just read (its characters from `start`) names. */
  private field(start: number): Field {
    const t = this.text;
    if (this.keyEscaped) {
      const key = this.decode(start, this.keyEnd);
      return key === 'ID' ? Field.ID : key === 'Service' ? Field.Service : key === 'ModifyIndex' ? Field.ModifyIndex : Field.Other;
    }
    // By length and first letter before comparing: most keys are none of the three.
    const length = this.keyEnd - start;
    const first = t.charCodeAt(start);
    if (length === 2) return first === 0x49 && t.charCodeAt(start + 1) === 0x44 ? Field.ID : Field.Other;
    if (length === 7) return first === 0x53 && t.startsWith('Service', start) ? Field.Service : Field.Other;
    if (length === 11) return first === 0x4d && t.startsWith('ModifyIndex', start) ? Field.ModifyIndex : Field.Other;
    return Field.Other;
  }

  /**
   * A member's key and its colon, leaving pos at the value; returns where the key's characters start (they end at
   * `keyEnd`, and `keyEscaped` tells whether they need decoding).
   */
  private key(): number {
    const t = this.text;
    this.space();
    if (t.charCodeAt(this.pos) !== QUOTE) throw NOT_PLAIN;
    const start = this.pos + 1;
    const end = this.stringEnd(start);
    this.keyEnd = end;
    this.keyEscaped = this.escaped;
    this.pos = end + 1;
    this.space();
    this.expect(COLON);
    this.space();
    return start;
  }

  /** Whether the key just read is `name`. */
  private isKey(start: number, name: string): boolean {
    return this.spells(start, this.keyEnd, this.keyEscaped, name);
  }

  /** Whether the string characters text[start, end) decode to `name`. */
  private spells(start: number, end: number, escaped: boolean, name: string): boolean {
    if (!escaped) return end - start === name.length && this.text.startsWith(name, start);
    return this.decode(start, end) === name;
  }

  /** After a member's value: true at the object's `}` (stepped over), false at a `,` (stepped over). */
  private nextMember(): boolean {
    this.space();
    const c = this.text.charCodeAt(this.pos);
    this.pos++;
    if (c === COMMA) return false;
    if (c === RBRACE) return true;
    throw NOT_PLAIN;
  }

  /** A service name, shared with the instances before it of the same service. */
  private serviceName(start: number, end: number, escaped: boolean): string {
    const raw = escaped ? this.decode(start, end) : this.text.slice(start, end);
    let name = this.names.get(raw);
    if (name === undefined) {
      name = detached(raw);
      this.names.set(name, name);
    }
    return name;
  }

  /** Decodes the escapes of string characters text[start, end), which stringEnd has checked. */
  private decode(start: number, end: number): string {
    const t = this.text;
    let out = '';
    let run = start;
    let i = start;
    while (i < end) {
      if (t.charCodeAt(i) !== BACKSLASH) {
        i++;
        continue;
      }
      out += t.slice(run, i);
      const e = t.charCodeAt(i + 1);
      if (e === LOWER_U) {
        // One UTF-16 code unit: the two halves of a surrogate pair are two escapes, and join as JSON.parse joins them.
        const unit = (hexDigit(t.charCodeAt(i + 2)) << 12) | (hexDigit(t.charCodeAt(i + 3)) << 8) | (hexDigit(t.charCodeAt(i + 4)) << 4) | hexDigit(t.charCodeAt(i + 5));
        out += String.fromCharCode(unit);
        i += 6;
      } else {
        out += ESCAPES.get(e) as string;
        i += 2;
      }
      run = i;
    }
    return out + t.slice(run, end);
  }

  /**
   * Where the string whose characters start at `from` ends (its closing quote); sets `escaped`. Rejects what
   * JSON.parse rejects in a string: a raw control character, an unknown escape, a \u without four hex digits, no end.
   */
  private stringEnd(from: number): number {
    const t = this.text;
    let i = from;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === QUOTE) {
        this.escaped = false;
        return i;
      }
      if (c === BACKSLASH || !(c >= SPACE)) return this.escapedStringEnd(i); // also NaN: past the end
      i++;
    }
  }

  /** stringEnd from the first character that is not plain. */
  private escapedStringEnd(from: number): number {
    const t = this.text;
    const n = t.length;
    let i = from;
    for (;;) {
      if (i >= n) throw NOT_PLAIN;
      const c = t.charCodeAt(i);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        const e = t.charCodeAt(i + 1);
        if (e === LOWER_U) {
          if (hexDigit(t.charCodeAt(i + 2)) < 0 || hexDigit(t.charCodeAt(i + 3)) < 0 || hexDigit(t.charCodeAt(i + 4)) < 0 || hexDigit(t.charCodeAt(i + 5)) < 0) throw NOT_PLAIN;
          i += 6;
        } else if (ESCAPES.has(e)) i += 2;
        else throw NOT_PLAIN;
        continue;
      }
      if (c < SPACE) throw NOT_PLAIN;
      i++;
    }
    this.escaped = true;
    return i;
  }

  /** Steps over a number and returns its value (what JSON.parse makes of it). */
  private number(): number {
    const t = this.text;
    const start = this.pos;
    let i = start;
    if (t.charCodeAt(i) === MINUS) i++;
    let c = t.charCodeAt(i);
    if (c === ZERO) i++;
    else if (c > ZERO && c <= NINE) {
      do i++;
      while ((c = t.charCodeAt(i)) >= ZERO && c <= NINE);
    } else throw NOT_PLAIN;
    const integerEnd = i;
    if (t.charCodeAt(i) === DOT) {
      i++;
      if (!((c = t.charCodeAt(i)) >= ZERO && c <= NINE)) throw NOT_PLAIN;
      do i++;
      while ((c = t.charCodeAt(i)) >= ZERO && c <= NINE);
    }
    c = t.charCodeAt(i);
    if (c === LOWER_E || c === UPPER_E) {
      i++;
      c = t.charCodeAt(i);
      if (c === PLUS || c === MINUS) i++;
      if (!((c = t.charCodeAt(i)) >= ZERO && c <= NINE)) throw NOT_PLAIN;
      do i++;
      while ((c = t.charCodeAt(i)) >= ZERO && c <= NINE);
    }
    this.pos = i;
    // Plain digits short of 2^53 add up exactly; anything else is converted as JSON.parse converts it.
    if (i === integerEnd && i - start <= 15 && t.charCodeAt(start) !== MINUS) {
      let value = 0;
      for (let k = start; k < i; k++) value = value * 10 + (t.charCodeAt(k) - ZERO);
      return value;
    }
    return Number(t.slice(start, i));
  }

  /** Steps over any one value (pos at it), however nested, without recursion. */
  private skipValue(): void {
    const t = this.text;
    const closers = this.closers;
    SKIP_VALUE.lastIndex = this.pos;
    if (SKIP_VALUE.test(t)) {
      this.pos = SKIP_VALUE.lastIndex;
      return;
    }
    const depth = closers.length;
    for (;;) {
      const c = t.charCodeAt(this.pos);
      if (c === QUOTE) this.pos = this.stringEnd(this.pos + 1) + 1;
      else if (c === LBRACE || c === LBRACKET) {
        this.pos++;
        this.space();
        const close = c === LBRACE ? RBRACE : RBRACKET;
        if (t.charCodeAt(this.pos) === close) this.pos++;
        else {
          closers.push(close);
          if (close === RBRACE) this.key();
          continue; // at the first member's or element's value
        }
      } else if (c === MINUS || (c >= ZERO && c <= NINE)) this.number();
      else if ((c === 0x74 && t.startsWith('true', this.pos)) || (c === 0x6e && t.startsWith('null', this.pos))) this.pos += 4;
      else if (c === 0x66 && t.startsWith('false', this.pos)) this.pos += 5;
      else throw NOT_PLAIN;
      // A value is complete: close what it completes, or move on to the next element or member.
      for (;;) {
        if (closers.length === depth) return;
        this.space();
        const d = t.charCodeAt(this.pos);
        const close = closers[closers.length - 1];
        this.pos++;
        if (d === COMMA) {
          if (close === RBRACE) this.key();
          else this.space();
          break;
        }
        if (d !== close) throw NOT_PLAIN;
        closers.pop();
      }
    }
  }

  /** Steps over whitespace (all of it at or below the space character; anything else there is no JSON). */
  private space(): void {
    const t = this.text;
    let i = this.pos;
    let c = t.charCodeAt(i);
    if (c > SPACE) return;
    while (c === SPACE || c === LF || c === CR || c === TAB) c = t.charCodeAt(++i);
    this.pos = i;
  }

  private expect(c: number): void {
    if (this.text.charCodeAt(this.pos) !== c) throw NOT_PLAIN;
    this.pos++;
  }

  /** Only whitespace may follow the answer. */
  private end(): void {
    this.space();
    if (this.pos !== this.text.length) throw NOT_PLAIN;
  }
}

/**
 * A node's instances from the text of its /v1/catalog/node answer: null for `null` (no such node), undefined when
 * the text is anything but well-formed JSON of the plain shape (the caller reads those in full, see above).
 */
export function scanNodeInstances(text: string): NodeInstances | null | undefined {
  try {
    return new NodeInstancesScan(text).body();
  } catch (err) {
    if (err === NOT_PLAIN) return undefined;
    throw err;
  }
}
