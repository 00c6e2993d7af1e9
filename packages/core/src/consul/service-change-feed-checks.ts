// What the ServiceChangeFeed keeps of each check of /v1/health/state/any: its node, its service, and one string
// of everything else it compares. 10,000 checks held as parsed objects (ten fields, a tag list each) are several
// MiB kept for a comparison; a mark is a third of that, and comparing two is one string comparison.

import type { HealthCheck } from './health';
import { mapRead, type ConsulRead } from './reads';

export interface CheckMark {
  node: string;
  /** '' for a node check. */
  service: string;
  /** Every other field the feed compares, as one string. */
  state: string;
}

/** Marks by node and CheckID. */
export type CheckMarks = Map<string, CheckMark>;

export function checkMark(check: HealthCheck): CheckMark {
  return {
    node: check.Node,
    service: check.ServiceName,
    state: JSON.stringify([check.Status, check.Name, check.Notes, check.Output, check.ServiceID, check.ServiceTags, check.Type, check.Namespace ?? '']),
  };
}

/** A health-check read (e.g. healthStateRead('any')) answering marks instead of the checks. */
export function checkMarksRead(read: ConsulRead<HealthCheck[]>): ConsulRead<CheckMarks> {
  return mapRead(read, (list) => new Map(list.map((check) => [`${check.Node}\u0000${check.CheckID}`, checkMark(check)])));
}

export function sameMark(a: CheckMark, b: CheckMark): boolean {
  return a.state === b.state && a.service === b.service && a.node === b.node;
}
