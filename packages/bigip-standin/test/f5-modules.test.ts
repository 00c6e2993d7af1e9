// F5's own Ansible modules (f5networks.f5_modules) as the client: each task changes on the first run, not on the second.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ansibleAvailable, runPlaybook, type PlaybookRun, type TaskResult } from './ansible-playbook';
import { startHarness, type Harness } from './helpers';

const PLAYBOOK = join(__dirname, 'fixtures', 'f5-modules.yml');
// About 20 s of CPU per run; a machine shared with other test runs can stretch that several times.
const RUN_TIMEOUT_MS = 240_000;

/**
 * Every endpoint the modules called over both runs, as "METHOD path[?query]" (tokens masked). A real
 * BIG-IP answers each; a change here means the modules (or the stand-in) now talk differently.
 */
const EXPECTED_ENDPOINTS = [
  // Session: token login, logout when the module's session object goes.
  'POST /mgmt/shared/authn/login',
  'DELETE /mgmt/shared/authz/tokens/<token>',
  // module_utils: tmos_version() reads ?ver= from this selfLink; bigip_virtual_server asks what is provisioned.
  'GET /mgmt/tm/sys',
  'GET /mgmt/tm/sys/provision',
  // bigip_partition
  'GET /mgmt/tm/auth/partition/Tenant',
  'POST /mgmt/tm/auth/partition',
  'GET /mgmt/tm/sys/folder/~Tenant',
  // bigip_monitor_http
  'GET /mgmt/tm/ltm/monitor/http/~Common~web_health',
  'POST /mgmt/tm/ltm/monitor/http',
  // bigip_node
  'GET /mgmt/tm/ltm/node/~Common~app-1',
  'POST /mgmt/tm/ltm/node',
  // bigip_pool
  'GET /mgmt/tm/ltm/pool/~Common~web',
  'GET /mgmt/tm/ltm/pool/~Tenant~api',
  'POST /mgmt/tm/ltm/pool',
  'GET /mgmt/tm/ltm/pool/~Common~web?expandSubcollections=true',
  'GET /mgmt/tm/ltm/pool/~Tenant~api?expandSubcollections=true',
  // bigip_pool_member: pool, member and node lookups, the tunnel profiles on update, create, delete
  'GET /mgmt/tm/ltm/pool/~Common~web/members/~Common~10.1.0.11:80',
  'GET /mgmt/tm/ltm/pool/~Common~web/members/~Common~10.1.0.12:80',
  'GET /mgmt/tm/ltm/pool/~Common~web/members/~Common~10.1.0.13:80',
  'GET /mgmt/tm/ltm/pool/~Common~web/members/~Common~app-1:8080',
  'GET /mgmt/tm/ltm/pool/~Tenant~api/members/~Tenant~10.4.0.11:8080',
  'GET /mgmt/tm/ltm/pool/~Common~legacy',
  'GET /mgmt/tm/ltm/pool/~Common~legacy/members/~Common~10.1.0.14:80',
  'GET /mgmt/tm/ltm/pool/~Common~legacy/members/~Common~10.1.0.16:80',
  'GET /mgmt/tm/ltm/node/~Common~10.1.0.11',
  'GET /mgmt/tm/ltm/node/~Common~10.1.0.12',
  'GET /mgmt/tm/ltm/node/~Common~10.1.0.13',
  'GET /mgmt/tm/ltm/node/~Common~10.1.0.14',
  'GET /mgmt/tm/ltm/node/~Tenant~10.4.0.11',
  'GET /mgmt/tm/net/tunnels/gre',
  'GET /mgmt/tm/net/tunnels/ipip',
  'POST /mgmt/tm/ltm/pool/~Common~web/members',
  'POST /mgmt/tm/ltm/pool/~Tenant~api/members',
  'DELETE /mgmt/tm/ltm/pool/~Common~legacy/members/~Common~10.1.0.14:80',
  'DELETE /mgmt/tm/ltm/node/~Common~10.1.0.14',
  // bigip_pool_member replace_all_with: list, then delete the unlisted in one transaction
  'GET /mgmt/tm/ltm/pool/~Common~legacy/members?$select=name,selfLink,fqdn,address,ephemeral',
  'POST /mgmt/tm/transaction',
  'DELETE /mgmt/tm/ltm/pool/~Common~legacy/members/~Common~10.1.0.15:80 (enlisted in a transaction)',
  'PATCH /mgmt/tm/transaction/<transId>',
  // bigip_snat_translation
  'GET /mgmt/tm/ltm/snat-translation/~Common~10.2.0.3',
  'POST /mgmt/tm/ltm/snat-translation',
  // bigip_snat_pool
  'GET /mgmt/tm/ltm/snatpool/~Common~snat-web',
  'POST /mgmt/tm/ltm/snatpool',
  'GET /mgmt/tm/ltm/snatpool/~Common~snat-web?expandSubcollections=true',
  // bigip_virtual_server: the validator reads the profile collections it classifies profiles by
  'GET /mgmt/tm/ltm/virtual/~Common~vs-web',
  'GET /mgmt/tm/ltm/virtual/~Tenant~vs-api',
  'GET /mgmt/tm/ltm/profile/client-ssl',
  'GET /mgmt/tm/ltm/profile/server-ssl',
  'GET /mgmt/tm/ltm/profile/fastl4',
  'GET /mgmt/tm/ltm/profile/fasthttp',
  'GET /mgmt/tm/ltm/profile/diameter',
  'GET /mgmt/tm/ltm/profile/sip',
  'GET /mgmt/tm/ltm/message-routing/sip/profile/session',
  'POST /mgmt/tm/ltm/virtual',
  'GET /mgmt/tm/ltm/virtual/~Common~vs-web?expandSubcollections=true',
  'GET /mgmt/tm/ltm/virtual/~Tenant~vs-api?expandSubcollections=true',
  // bigip_device_info: pages of 10 until an empty page, then members and stats per object
  'GET /mgmt/tm/ltm/pool?$top=10&$skip=0&$filter=partition+eq+Common',
  'GET /mgmt/tm/ltm/pool?$top=10&$skip=10&$filter=partition+eq+Common',
  'GET /mgmt/tm/ltm/pool?$top=10&$skip=0&$filter=partition+eq+Tenant',
  'GET /mgmt/tm/ltm/pool?$top=10&$skip=10&$filter=partition+eq+Tenant',
  'GET /mgmt/tm/ltm/pool/~Common~web/members',
  'GET /mgmt/tm/ltm/pool/~Common~legacy/members',
  'GET /mgmt/tm/ltm/pool/~Tenant~api/members',
  'GET /mgmt/tm/ltm/pool/~Common~web/stats',
  'GET /mgmt/tm/ltm/pool/~Common~legacy/stats',
  'GET /mgmt/tm/ltm/pool/~Tenant~api/stats',
  'GET /mgmt/tm/ltm/virtual?expandSubcollections=true&$top=10&$skip=0&$filter=partition+eq+Common',
  'GET /mgmt/tm/ltm/virtual?expandSubcollections=true&$top=10&$skip=10&$filter=partition+eq+Common',
  'GET /mgmt/tm/ltm/virtual?expandSubcollections=true&$top=10&$skip=0&$filter=partition+eq+Tenant',
  'GET /mgmt/tm/ltm/virtual?expandSubcollections=true&$top=10&$skip=10&$filter=partition+eq+Tenant',
  'GET /mgmt/tm/ltm/virtual/~Common~vs-web/stats',
  'GET /mgmt/tm/ltm/virtual/~Tenant~vs-api/stats',
  'GET /mgmt/tm/ltm/node?$top=10&$skip=0&$filter=partition+eq+Common',
  'GET /mgmt/tm/ltm/node?$top=10&$skip=10&$filter=partition+eq+Common',
  'GET /mgmt/tm/ltm/node/~Common~app-1/stats',
  'GET /mgmt/tm/ltm/node/~Common~10.1.0.11/stats',
  'GET /mgmt/tm/ltm/node/~Common~10.1.0.12/stats',
  'GET /mgmt/tm/ltm/node/~Common~10.1.0.13/stats',
  'GET /mgmt/tm/ltm/node/~Common~10.1.0.15/stats',
  'GET /mgmt/tm/ltm/node/~Common~10.1.0.16/stats',
].sort();

function endpointsCalled(harness: Harness): string[] {
  const seen = new Set<string>();
  for (const record of harness.standin.requestLog()) {
    const path = record.path
      .replace(/\/mgmt\/shared\/authz\/tokens\/[A-Z0-9]+$/, '/mgmt/shared/authz/tokens/<token>')
      .replace(/\/mgmt\/tm\/transaction\/\d+$/, '/mgmt/tm/transaction/<transId>');
    const enlisted = record.transId === undefined ? '' : ' (enlisted in a transaction)';
    seen.add(`${record.method} ${path}${record.query === '' ? '' : `?${record.query}`}${enlisted}`);
  }
  return [...seen].sort();
}

function task(run: PlaybookRun, name: string): TaskResult {
  const found = run.tasks.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no task "${name}" in the run: ${run.tasks.map((candidate) => candidate.name).join(', ')}`);
  return found;
}

function failures(run: PlaybookRun): string[] {
  return run.tasks.filter((candidate) => candidate.result.failed).map((candidate) => `${candidate.name}: ${candidate.result.msg ?? JSON.stringify(candidate.result).slice(0, 2000)}`);
}

/** Info modules never change anything; every other task of the playbook must. */
const isInfo = (candidate: TaskResult) => candidate.action.endsWith('bigip_device_info');

describe('F5 Ansible modules against the stand-in @integration', function () {
  this.timeout(2 * RUN_TIMEOUT_MS + 30_000);
  let harness: Harness;
  let scratch: string;
  let first: PlaybookRun;
  let second: PlaybookRun;
  let writesAfterFirst: number;

  before(async function () {
    const missing = ansibleAvailable();
    if (missing) throw new Error(`${missing}: the F5 fidelity test needs Debian's ansible package (installed by the setup)`);
    harness = await startHarness();
    scratch = await mkdtemp(join(tmpdir(), 'bigip-standin-ansible-'));
    // What the absent and purge tasks remove.
    const legacy = await harness.api.post('/mgmt/tm/ltm/pool', {
      name: 'legacy',
      members: [{ name: '10.1.0.14:80' }, { name: '10.1.0.15:80' }, { name: '10.1.0.16:80' }],
    });
    expect(legacy.status).to.equal(200);
    harness.standin.resetRequestLog();

    const vars = { bigip_port: harness.standin.port };
    first = await runPlaybook(PLAYBOOK, vars, scratch, RUN_TIMEOUT_MS);
    writesAfterFirst = harness.standin.counters().writes;
    second = await runPlaybook(PLAYBOOK, vars, scratch, RUN_TIMEOUT_MS);
    console.log(`      ansible-playbook: first run ${first.durationMs} ms, second run ${second.durationMs} ms (${first.tasks.length} tasks each)`);
  });

  after(async () => {
    await harness?.standin.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('first run: every task succeeds and changes something (info tasks change nothing)', () => {
    expect(failures(first)).to.deep.equal([]);
    expect(first.tasks.filter((candidate) => !isInfo(candidate) && !candidate.result.changed).map((candidate) => candidate.name)).to.deep.equal([]);
    expect(first.tasks.filter((candidate) => isInfo(candidate) && candidate.result.changed).map((candidate) => candidate.name)).to.deep.equal([]);
  });

  it('second run: the modules find nothing to change and the stand-in sees no writes', () => {
    expect(failures(second)).to.deep.equal([]);
    expect(second.tasks.filter((candidate) => candidate.result.changed).map((candidate) => candidate.name)).to.deep.equal([]);
    expect(second.stats.localhost).to.include({ changed: 0, failures: 0 });
    expect(harness.standin.counters().writes).to.equal(writesAfterFirst);
  });

  it('aggregate members: each member changed once, the absent one and the purge included', () => {
    const changedPerItem = (run: PlaybookRun, name: string) => (task(run, name).result.aggregate as Array<{ changed: boolean }>).map((item) => item.changed);
    expect(changedPerItem(first, 'members')).to.deep.equal([true, true, true, true]);
    expect(changedPerItem(second, 'members')).to.deep.equal([false, false, false, false]);
    // 10.1.0.14 absent: removed; 10.1.0.16 already there.
    expect(changedPerItem(first, 'legacy members (absent, and purge of what is not listed)')).to.deep.equal([true, false]);
  });

  it('leaves the box as the playbook describes', () => {
    const state = harness.standin.snapshot();
    const pool = (fullPath: string) => state.pools.find((candidate) => candidate.fullPath === fullPath) as Record<string, any>;
    const web = pool('/Common/web');
    expect(web).to.include({ loadBalancingMode: 'ratio-member', minActiveMembers: 1, description: 'web pool', monitor: '/Common/web_health ' });
    const members = Object.fromEntries((web.members as Array<Record<string, unknown>>).map((member) => [member.name, member]));
    expect(Object.keys(members)).to.have.members(['10.1.0.11:80', '10.1.0.12:80', '10.1.0.13:80', 'app-1:8080']);
    expect(members['10.1.0.11:80']).to.include({ priorityGroup: 10, ratio: 2, session: 'monitor-enabled', state: 'up' });
    // disabled = user-up + user-disabled; forced_offline = user-down + user-disabled.
    expect(members['10.1.0.12:80']).to.include({ priorityGroup: 9, session: 'user-disabled', state: 'up' });
    expect(members['10.1.0.13:80']).to.include({ priorityGroup: 9, session: 'user-disabled', state: 'user-down' });
    expect(members['app-1:8080']).to.include({ address: '10.1.0.21' });
    // Priority group activation 1: the master group (10) alone receives while its member is available.
    expect(harness.standin.traffic('/Common/web').receiving).to.deep.equal(['10.1.0.11:80']);
    expect((pool('/Common/legacy').members as Array<{ name: string }>).map((member) => member.name)).to.deep.equal(['10.1.0.16:80']);
    expect(pool('/Tenant/api').members).to.have.length(1);

    const virtual = (fullPath: string) => state.virtuals.find((candidate) => candidate.fullPath === fullPath) as Record<string, any>;
    expect(virtual('/Common/vs-web')).to.deep.include({
      destination: '/Common/10.3.0.10:443',
      pool: '/Common/web',
      description: 'web front',
      ipProtocol: 'tcp',
    });
    expect(virtual('/Common/vs-web').sourceAddressTranslation).to.include({ type: 'snat', pool: '/Common/snat-web' });
    expect(virtual('/Common/vs-web').profilesReference.items.map((profile: { fullPath: string }) => profile.fullPath)).to.have.members(['/Common/tcp', '/Common/http']);
    expect(virtual('/Tenant/vs-api')).to.deep.include({ destination: '/Tenant/10.3.0.20:80', pool: '/Tenant/api', sourceAddressTranslation: { type: 'automap' } });
    expect(state.snatpools.map((snatpool) => [snatpool.fullPath, snatpool.members])).to.deep.equal([['/Common/snat-web', ['/Common/10.2.0.1', '/Common/10.2.0.2', '/Common/10.2.0.3']]]);
    // 10.2.0.3 made by bigip_snat_translation, the others by the SNAT pool.
    expect(state.snatTranslations.map((translation) => [translation.fullPath, translation.connectionLimit])).to.deep.equal([
      ['/Common/10.2.0.3', 64000],
      ['/Common/10.2.0.1', 0],
      ['/Common/10.2.0.2', 0],
    ]);
    expect(state.httpMonitors.map((monitor) => [monitor.fullPath, monitor.defaultsFrom, monitor.recv])).to.deep.equal([['/Common/web_health', '/Common/http', '200 OK']]);
    expect(state.partitions.map((partition) => partition.name)).to.deep.equal(['Common', 'Tenant']);
    expect(state.nodes.find((node) => node.fullPath === '/Common/app-1')).to.include({ address: '10.1.0.21', description: 'app host 1' });
  });

  it('bigip_device_info reports pools, virtual servers and nodes per partition', () => {
    const info = task(second, 'device info').result as Record<string, any>;
    const web = (info.ltm_pools as Array<Record<string, any>>).find((candidate) => candidate.full_path === '/Common/web')!;
    expect(web).to.include({ lb_method: 'ratio-member', minimum_active_members: 1, member_count: 4 });
    expect(web.members.map((member: { name: string }) => member.name)).to.have.members(['10.1.0.11:80', '10.1.0.12:80', '10.1.0.13:80', 'app-1:8080']);
    const vs = (info.virtual_servers as Array<Record<string, any>>).find((candidate) => candidate.full_path === '/Common/vs-web')!;
    expect(vs).to.include({ destination_address: '10.3.0.10', destination_port: 443, default_pool: '/Common/web', snat_type: 'snat', snat_pool: '/Common/snat-web' });
    expect((info.nodes as Array<{ full_path: string }>).map((node) => node.full_path)).to.include('/Common/app-1');
    const tenant = task(second, 'device info in Tenant').result as Record<string, any>;
    expect((tenant.ltm_pools as Array<{ full_path: string }>).map((candidate) => candidate.full_path)).to.deep.equal(['/Tenant/api']);
    expect((tenant.virtual_servers as Array<{ full_path: string; snat_type: string }>).map((candidate) => [candidate.full_path, candidate.snat_type])).to.deep.equal([['/Tenant/vs-api', 'automap']]);
  });

  it('the modules called exactly these endpoints', () => {
    expect(endpointsCalled(harness)).to.deep.equal(EXPECTED_ENDPOINTS);
  });
});
