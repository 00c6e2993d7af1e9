// What the ServiceChangeFeed keeps of each check of /v1/health/state/any: its service and one string of everything
// else it compares, by node and CheckID. 10,000 checks held as parsed objects (ten fields, a tag list each) are
// several MiB kept for a comparison; a mark is a third of that, and comparing two is one string comparison.

import type { HealthCheck } from './health';
import { mapRead, type ConsulRead } from './reads';

export interface CheckMark {
  /** '' for a node check. */
  service: string;
  /** Every other field the feed compares, as one string. */
  state: string;
}

/** Marks by node, then CheckID (no key built per check: the parsed names are the keys). */
export type CheckMarks = Map<string, Map<string, CheckMark>>;

export function checkMark(check: HealthCheck): CheckMark {
  return {
    service: check.ServiceName,
    state: JSON.stringify([check.Status, check.Name, check.Notes, check.Output, check.ServiceID, check.ServiceTags, check.Type, check.Namespace ?? '']),
  };
}

export function checkMarks(list: readonly HealthCheck[]): CheckMarks {
  const out: CheckMarks = new Map();
  for (const check of list) {
    let node = out.get(check.Node);
    if (!node) out.set(check.Node, (node = new Map()));
    node.set(check.CheckID, checkMark(check));
  }
  return out;
}

/** A health-check read (e.g. healthStateRead('any')) answering marks instead of the checks. */
export function checkMarksRead(read: ConsulRead<HealthCheck[]>): ConsulRead<CheckMarks> {
  return mapRead(read, checkMarks);
}

export function sameMark(a: CheckMark, b: CheckMark): boolean {
  return a.state === b.state && a.service === b.service;
}
