// Fault injection: make the next N requests, or the next N seconds of requests, fail with a 5xx.

export interface FaultSpec {
  /** 500..599. 503 answers like a restarting restjavad ("Configuration Utility restarting..."). */
  status: number;
  /** Fail this many matching requests. */
  requests?: number;
  /** Fail every matching request for this many seconds. */
  seconds?: number;
  /** Only these methods (e.g. ["POST","PUT","PATCH","DELETE"] to fail writes). Default: all. */
  methods?: string[];
  /** Only paths starting with this (e.g. "/mgmt/tm/ltm"). Default: every /mgmt path. */
  pathPrefix?: string;
}

interface ActiveFault {
  spec: FaultSpec;
  remainingRequests: number | undefined;
  untilMs: number | undefined;
}

export class FaultSpecError extends Error {}

export function parseFaultSpec(input: unknown): FaultSpec {
  if (typeof input !== 'object' || input === null) throw new FaultSpecError('fault must be an object');
  const { status, requests, seconds, methods, pathPrefix, ...rest } = input as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new FaultSpecError(`unknown fault field(s): ${unknown.join(', ')}`);
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 500 || status > 599) throw new FaultSpecError(`status must be 500..599, got ${JSON.stringify(status)}`);
  const positive = (name: string, value: unknown) => {
    if (value !== undefined && (typeof value !== 'number' || !(value > 0))) throw new FaultSpecError(`${name} must be a positive number, got ${JSON.stringify(value)}`);
  };
  positive('requests', requests);
  positive('seconds', seconds);
  if (requests === undefined && seconds === undefined) throw new FaultSpecError('give requests or seconds');
  if (methods !== undefined && (!Array.isArray(methods) || !methods.every((method) => typeof method === 'string'))) throw new FaultSpecError('methods must be an array of strings');
  if (pathPrefix !== undefined && typeof pathPrefix !== 'string') throw new FaultSpecError('pathPrefix must be a string');
  return {
    status,
    ...(requests === undefined ? {} : { requests: requests as number }),
    ...(seconds === undefined ? {} : { seconds: seconds as number }),
    ...(methods === undefined ? {} : { methods: (methods as string[]).map((method) => method.toUpperCase()) }),
    ...(pathPrefix === undefined ? {} : { pathPrefix }),
  };
}

export class FaultInjector {
  private faults: ActiveFault[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  add(spec: FaultSpec): void {
    this.faults.push({
      spec,
      remainingRequests: spec.requests,
      untilMs: spec.seconds === undefined ? undefined : this.now() + spec.seconds * 1000,
    });
  }

  clear(): void {
    this.faults = [];
  }

  /** The status to fail this request with, consuming one request of the first matching fault. */
  take(method: string, path: string): number | undefined {
    const now = this.now();
    this.faults = this.faults.filter((fault) => (fault.remainingRequests === undefined || fault.remainingRequests > 0) && (fault.untilMs === undefined || now < fault.untilMs));
    const fault = this.faults.find(({ spec }) => (!spec.methods || spec.methods.includes(method)) && (!spec.pathPrefix || path.startsWith(spec.pathPrefix)));
    if (!fault) return undefined;
    if (fault.remainingRequests !== undefined) fault.remainingRequests -= 1;
    return fault.spec.status;
  }

  active(): FaultSpec[] {
    return this.faults.map(({ spec }) => spec);
  }
}

/** What restjavad/httpd send while restarting: an HTML page, not JSON. */
export const RESTARTING_PAGE = '<html><head><title>503 Service Unavailable</title></head><body><p>Configuration Utility restarting...</p></body></html>\n';
