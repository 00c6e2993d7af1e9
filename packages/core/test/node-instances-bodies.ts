// Bodies of /v1/catalog/node/<node> answers for the scanner's tests: a realistic Consul NodeServices answer, and
// random ones written as text (escapes, whitespace, key order, repeated keys, odd numbers) from a seeded generator.

/** A small seeded generator (mulberry32): the same seed, the same bodies. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One instance as Consul 1.1x writes it in a NodeServices answer: a plain service, or a sidecar proxy of one. */
export function consulNodeService(i: number, options: { service?: string; sidecar?: boolean; modifyIndex?: number } = {}): Record<string, unknown> {
  const service = options.service ?? `svc-${i % 40}`;
  const modifyIndex = options.modifyIndex ?? 1000 + i;
  const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  if (options.sidecar) {
    return {
      Kind: 'connect-proxy',
      ID: `${service}-${i}-sidecar-proxy`,
      Service: `${service}-sidecar-proxy`,
      Tags: [],
      Address: address,
      TaggedAddresses: { lan_ipv4: { Address: address, Port: 21000 + (i % 1000) }, wan_ipv4: { Address: address, Port: 21000 + (i % 1000) } },
      Meta: null,
      Port: 21000 + (i % 1000),
      Weights: { Passing: 1, Warning: 1 },
      EnableTagOverride: false,
      Proxy: {
        DestinationServiceName: service,
        DestinationServiceID: `${service}-${i}`,
        LocalServiceAddress: '127.0.0.1',
        LocalServicePort: 8080,
        Mode: '',
        Config: { protocol: 'http' },
        Upstreams: [{ DestinationType: 'service', DestinationName: 'db', LocalBindPort: 9191, Config: {}, MeshGateway: {} }],
        MeshGateway: {},
        Expose: {},
      },
      Connect: {},
      PeerName: '',
      CreateIndex: modifyIndex - 1,
      ModifyIndex: modifyIndex,
    };
  }
  return {
    ID: `${service}-${i}`,
    Service: service,
    Tags: ['http', `v${i % 3}`],
    Address: address,
    Meta: { version: `1.${i % 7}` },
    Port: 8000 + (i % 1000),
    Weights: { Passing: 1, Warning: 1 },
    EnableTagOverride: false,
    Proxy: { Mode: '', MeshGateway: {}, Expose: {} },
    Connect: {},
    PeerName: '',
    CreateIndex: modifyIndex,
    ModifyIndex: modifyIndex,
  };
}

/** A node's answer with `instances` instances (one in ten a sidecar), as Consul writes it: compact JSON. */
export function consulNodeAnswer(instances: number, node = 'node-1'): Record<string, unknown> {
  const services: Record<string, unknown> = {};
  for (let i = 0; i < instances; i++) {
    const instance = consulNodeService(i, { sidecar: i % 10 === 9 });
    services[instance.ID as string] = instance;
  }
  return {
    Node: {
      ID: '40e4a748-2192-161a-0510-9bf59fe950b5',
      Node: node,
      Address: '10.1.10.12',
      Datacenter: 'dc1',
      TaggedAddresses: { lan: '10.1.10.12', lan_ipv4: '10.1.10.12', wan: '10.1.10.12', wan_ipv4: '10.1.10.12' },
      Meta: { 'consul-network-segment': '' },
      CreateIndex: 13,
      ModifyIndex: 14,
    },
    Services: services,
  };
}

/** The text as the transport hands it over: decoded from the bytes on the wire (one flat string). */
export function asReceived(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

/**
 * `value` with every string in it passed through `f`, and every key but Consul's field names (capitalised: ID,
 * Services, Meta...), so an instance's key stays its ID and Meta's keys change too.
 */
export function mapStrings(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [/^[A-Z]/.test(k) ? k : f(k), mapStrings(v, f)]));
  return value;
}

/** A random body and whether it is of the plain shape (the scanner must read it itself, not hand it on). */
export interface RandomBody {
  text: string;
  plain: boolean;
}

/** Random node answers as text: every string with random escapes, random whitespace, keys in random order. */
export class RandomBodies {
  private plain = true;

  constructor(private readonly random: () => number) {}

  private chance(p: number): boolean {
    return this.random() < p;
  }

  private int(n: number): number {
    return Math.floor(this.random() * n);
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  private shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  private space(): string {
    return this.chance(0.7) ? '' : this.pick([' ', '  ', '\n', '\n    ', '\t', '\r\n  ']);
  }

  /** A random string's characters: ASCII, quotes, backslashes, control characters, accents, CJK, emoji, lone halves. */
  text(maxLength = 12): string {
    const pieces = ['a', 'b', 'z', '0', '9', '-', '_', '.', ' ', '/', '"', '\\', '\n', '\t', '\u0000', '\u001f', '\u007f', 'é', 'ß', '中', '\u2028', '😀', '\ud800', '\udfff', 'I', 'D'];
    let s = '';
    const n = this.int(maxLength + 1);
    for (let i = 0; i < n; i++) s += this.chance(0.6) ? String.fromCharCode(0x61 + this.int(26)) : this.pick(pieces);
    return s;
  }

  /** `s` as a JSON string, each character raw or escaped at random (\uXXXX in either case, or its short escape). */
  quoted(s: string): string {
    const short: Record<string, string> = { '"': '\\"', '\\': '\\\\', '/': '\\/', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    let out = '"';
    // By code point: a surrogate pair is written raw or as two escapes, never half and half (which the bytes on the
    // wire could not carry); a lone half stays one.
    for (const ch of s) {
      const code = ch.charCodeAt(0);
      const mustEscape = code < 0x20 || ch === '"' || ch === '\\';
      if (!mustEscape && this.chance(0.85)) out += ch;
      else if (short[ch] !== undefined && this.chance(0.5)) out += short[ch];
      else {
        for (const unit of ch.split('')) {
          const hex = unit.charCodeAt(0).toString(16).padStart(4, '0');
          out += `\\u${this.chance(0.5) ? hex : hex.toUpperCase()}`;
        }
      }
    }
    return `${out}"`;
  }

  /** `value` as JSON text with random escapes in every string, random whitespace, and every object's keys shuffled. */
  serialise(value: unknown): string {
    if (typeof value === 'string') return this.quoted(value);
    if (Array.isArray(value)) return `[${value.map((v) => this.space() + this.serialise(v) + this.space()).join(',') || this.space()}]`;
    if (value !== null && typeof value === 'object') return this.object(this.shuffle(Object.entries(value).map(([k, v]): [string, string] => [this.quoted(k), this.serialise(v)])));
    return JSON.stringify(value);
  }

  private number(): string {
    return this.pick(['0', '-0', '7', '12345', '-3', '3.25', '-0.5', '1e3', '2E-3', '1.5e+2', '6.02e23', '9007199254740993', '1e400']);
  }

  /** Any JSON value, nested up to `depth`. */
  value(depth = 3): string {
    const kind = this.int(depth > 0 ? 7 : 5);
    if (kind === 0) return this.quoted(this.text());
    if (kind === 1) return this.number();
    if (kind === 2) return this.pick(['true', 'false', 'null']);
    if (kind === 3) return this.quoted('');
    if (kind === 4) return this.quoted(this.text(40));
    if (kind === 5) {
      const items = Array.from({ length: this.int(4) }, () => this.space() + this.value(depth - 1) + this.space());
      return `[${items.join(',') || this.space()}]`;
    }
    return this.object(Array.from({ length: this.int(4) }, () => [this.quoted(this.text(6)), this.value(depth - 1)]));
  }

  /** A value nested `depth` containers deep, one or two items in each. */
  deep(depth: number): string {
    if (depth === 0) return this.value(0);
    const items = Array.from({ length: 1 + this.int(2) }, () => this.deep(depth - 1));
    if (this.chance(0.5)) return `[${items.join(`,${this.space()}`)}]`;
    return this.object(items.map((v): [string, string] => [this.quoted(this.text(4)), v]));
  }

  private object(members: Array<[string, string]>): string {
    const body = members.map(([k, v]) => `${this.space()}${k}${this.space()}:${this.space()}${v}${this.space()}`).join(',');
    return `{${body || this.space()}}`;
  }

  private notPlain(): void {
    this.plain = false;
  }

  /** ModifyIndex: mostly an integer, sometimes one JSON.parse makes an integer of, sometimes a wrong one. */
  private modifyIndex(): string {
    const good = ['0', '1', '42', '123456789', '9007199254740991', '1e3', '7.0', '-2', '-0', '1.2e1'];
    const bad = ['1.5', '"7"', 'null', 'true', '[]', '{}', '1e400', '-1e400', '0.1'];
    if (this.chance(0.9)) return this.pick(good);
    this.notPlain();
    return this.pick(bad);
  }

  private instance(key: string): string {
    const members: Array<[string, string]> = [];
    // ID: its key (written with other escapes), absent, null, or (not plain) another string or another type.
    const id = this.random();
    if (id < 0.7) members.push([this.quoted('ID'), this.quoted(key)]);
    else if (id < 0.8) members.push([this.quoted('ID'), 'null']);
    else if (id < 0.9) {
      /* absent: the key is the ID */
    } else if (id < 0.95) {
      this.notPlain();
      members.push([this.quoted('ID'), this.quoted(`${key}x`)]);
    } else {
      this.notPlain();
      members.push([this.quoted('ID'), this.pick(['5', 'true', '[]', '{}'])]);
    }
    if (this.chance(0.95)) members.push([this.quoted('Service'), this.quoted(this.pick(['web', 'db', 'api-gateway-frontend', this.text()]))]);
    else {
      this.notPlain();
      if (this.chance(0.5)) members.push([this.quoted('Service'), this.pick(['5', 'null', 'false', '["web"]'])]);
    }
    if (this.chance(0.97)) members.push([this.quoted('ModifyIndex'), this.modifyIndex()]);
    else this.notPlain();
    const fields = ['Tags', 'Meta', 'TaggedAddresses', 'Weights', 'Proxy', 'Connect', 'Port', 'Address', 'Kind', 'CreateIndex', 'PeerName', 'EnableTagOverride', 'Services', 'Node'];
    for (let n = this.int(6); n > 0; n--) members.push([this.quoted(this.pick(fields)), this.chance(0.1) ? this.deep(5 + this.int(4)) : this.value()]);
    if (this.chance(0.05)) {
      // A field again: what the last says is what counts.
      const again = this.pick(['ID', 'Service', 'ModifyIndex']);
      const value = again === 'ModifyIndex' ? this.modifyIndex() : again === 'ID' ? this.quoted(key) : this.quoted('web');
      members.push([this.quoted(again), value]);
    }
    return this.object(this.shuffle(members));
  }

  /** A whole answer. */
  body(): RandomBody {
    this.plain = true;
    const roll = this.random();
    if (roll < 0.02) return { text: `${this.space()}null${this.space()}`, plain: true };
    if (roll < 0.04) {
      this.notPlain();
      return { text: this.pick(['[]', '"x"', '5', 'true', '[{"Services":{}}]']), plain: false };
    }
    const services: Array<[string, string]> = [];
    const keys: string[] = [];
    for (let n = this.int(12); n > 0; n--) {
      let key = this.chance(0.8) ? `${this.pick(['web', 'db', 'api'])}-${this.int(1000)}` : this.text(8);
      if (this.chance(0.03)) key = this.pick(['0', '17', '4294967294', '4294967295', '01', '-1']); // JSON.parse's own key order
      if (this.chance(0.03) && keys.length > 0) key = this.pick(keys); // a repeated key
      if (/^(0|[1-9][0-9]*)$/.test(key) && Number(key) <= 4294967294) this.notPlain();
      if (keys.includes(key)) this.notPlain();
      keys.push(key);
      services.push([this.quoted(key), this.chance(0.98) ? this.instance(key) : (this.notPlain(), this.pick(['null', '5', '"web"', '[]']))]);
    }
    const members: Array<[string, string]> = [[this.quoted('Node'), this.value(2)]];
    const shape = this.random();
    if (shape < 0.85) members.push([this.quoted('Services'), this.object(services)]);
    else if (shape < 0.9) members.push([this.quoted('Services'), 'null']);
    else if (shape < 0.93) {
      /* no Services */
    } else if (shape < 0.96) {
      this.notPlain();
      members.push([this.quoted('Services'), this.pick(['[]', '"x"', '7', '[{"ID":"a","Service":"b","ModifyIndex":1}]'])]);
    } else {
      this.notPlain();
      members.push([this.quoted('Services'), 'null'], [this.quoted('Services'), this.object(services)]);
    }
    if (this.chance(0.3)) members.push([this.quoted(this.text(6)), this.value()]);
    return { text: `${this.space()}${this.object(this.shuffle(members))}${this.space()}`, plain: this.plain };
  }

  /** `text` with one to three characters deleted, inserted or replaced: mostly not JSON any more. */
  mutated(text: string): string {
    const alphabet = ['{', '}', '[', ']', ',', ':', '"', '\\', ' ', '0', '-', '.', 'e', 'u', 'n', 't', 'a', '\u0001', '\n', 'x'];
    let out = text;
    for (let n = 1 + this.int(3); n > 0; n--) {
      const at = this.int(out.length + 1);
      const op = this.int(3);
      if (op === 0) out = out.slice(0, at) + out.slice(at + 1);
      else if (op === 1) out = out.slice(0, at) + this.pick(alphabet) + out.slice(at);
      else out = out.slice(0, at) + this.pick(alphabet) + out.slice(at + 1);
    }
    return out;
  }
}
