// A cluster member as Serf reports it in /v1/agent/members (Status 1 alive, 2 leaving, 3 left, 4 failed).

export type MemberStatus = 'alive' | 'leaving' | 'left' | 'failed';

/** Serf's MemberStatus numbers, as the API prints them. */
export const MEMBER_STATUS_CODES: Record<MemberStatus, number> = { alive: 1, leaving: 2, left: 3, failed: 4 };

export interface MemberFacts {
  name: string;
  address: string;
  datacenter: string;
  id: string;
  version: string;
  role: 'server' | 'client';
  status: MemberStatus;
  acls: boolean;
}

export type MemberView = Record<string, unknown>;

export function memberView(member: MemberFacts): MemberView {
  // Serf tags in key order; servers add their RPC port and raft version, clients say role "node".
  const tags: Record<string, string> = {
    acls: member.acls ? '1' : '0',
    build: `${member.version}:standin`,
    dc: member.datacenter,
    id: member.id,
    ...(member.role === 'server' ? { port: '8300', raft_vsn: '3' } : {}),
    role: member.role === 'server' ? 'consul' : 'node',
    segment: '',
    vsn: '2',
    vsn_max: '3',
    vsn_min: '2',
  };
  return {
    Name: member.name,
    Addr: member.address,
    Port: 8301,
    Tags: tags,
    Status: MEMBER_STATUS_CODES[member.status],
    ProtocolMin: 1,
    ProtocolMax: 5,
    ProtocolCur: 2,
    DelegateMin: 2,
    DelegateMax: 5,
    DelegateCur: 4,
  };
}
