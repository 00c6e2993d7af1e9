// Records every /mgmt request so tests can assert "no writes" or "exactly one transaction".

export interface RequestRecord {
  at: string;
  method: string;
  /** Decoded path without the query string (and without a trailing slash). */
  path: string;
  /** The raw query string without "?", e.g. "$select=name,selfLink"; "" when there is none. */
  query: string;
  status: number;
  /** X-F5-REST-Coordination-Id, when the request was enlisted in a transaction. */
  transId?: string;
}

export interface RequestCounters {
  total: number;
  byMethod: Record<string, number>;
  /** Keyed "METHOD /path", e.g. "POST /mgmt/tm/transaction". */
  byRoute: Record<string, number>;
  /** Non-GET requests under /mgmt/tm (configuration writes, enlisted or not; logins excluded). */
  writes: number;
}

const MAX_RECORDS = 10000;

export class RequestLog {
  private records: RequestRecord[] = [];
  private counters: RequestCounters = RequestLog.emptyCounters();

  private static emptyCounters(): RequestCounters {
    return { total: 0, byMethod: {}, byRoute: {}, writes: 0 };
  }

  record(entry: Omit<RequestRecord, 'at'>): void {
    this.records.push({ at: new Date().toISOString(), ...entry });
    if (this.records.length > MAX_RECORDS) this.records.shift();
    const counters = this.counters;
    counters.total += 1;
    counters.byMethod[entry.method] = (counters.byMethod[entry.method] ?? 0) + 1;
    const route = `${entry.method} ${entry.path}`;
    counters.byRoute[route] = (counters.byRoute[route] ?? 0) + 1;
    if (entry.method !== 'GET' && entry.path.startsWith('/mgmt/tm/')) counters.writes += 1;
  }

  entries(): RequestRecord[] {
    return this.records.map((record) => ({ ...record }));
  }

  snapshot(): RequestCounters {
    return structuredClone(this.counters);
  }

  reset(): void {
    this.records = [];
    this.counters = RequestLog.emptyCounters();
  }
}
