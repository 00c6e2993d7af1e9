// Unit tables for the edges: config validation, member names, Consul payloads, the rate cap, iControl errors, redaction.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { ConfigError, createLogger, silentLogger } from '@consul-sidecars/core';
import { applyPlan } from '../src/target/bigip/apply';
import { PoolSyncer } from '../src/pool-pass';
import { loadF5SyncConfig, parseF5SyncConfig } from '../src/config';
import { memberName, parseMemberName } from '../src/target/member-names';
import { memberPath } from '../src/target/bigip/icontrol-paths';
import { parseHealthEntries } from '../src/observe/health-entries';
import { desiredMembers, priorityOf } from '../src/plan/desired-members';
import { BigipPoolTarget } from '../src/target/bigip/bigip-target';
import { IcontrolClient } from '../src/target/bigip/icontrol-client';
import { IcontrolError, isConflict, isNotFound, printablePath } from '../src/target/bigip/icontrol-errors';
import { parseLivePool } from '../src/target/bigip/icontrol-payloads';
import { normaliseMonitorRule } from '../src/target/pool-model';
import { RateLimiter } from '../src/target/bigip/rate-limiter';
import { PASSWORD, startEnv, type Env } from './support';
import { consulWatch, watcherOptions } from '../src/observe/consul-watch-options';

const BASE = { bigip: { url: 'https://bigip.example', username: 'admin', password: 'secret' }, pools: [{ consulService: 'web', name: 'web_pool' }] };

describe('config', () => {
  it('fills the documented defaults', () => {
    const config = parseF5SyncConfig(BASE);
    expect(config.pools[0]).to.deep.equal({ consulService: 'web', name: 'web_pool', partition: 'Common', loadBalancingMode: 'round-robin', minActiveMembers: 1 });
    expect(config.roleTags).to.deep.equal({ master: 10, slave: 9 });
    expect(config.defaultPriority).to.equal(0);
    expect(config.bigip).to.include({ auth: 'token', verifyTls: true });
    expect(config.leaderLock.enabled).to.equal(true);
    expect(config.consul.retryMax).to.equal('30s');
  });

  it("consul.retryMax sets the Consul watches' backoff ceiling (the feed, the health and declaration watches)", () => {
    const config = parseF5SyncConfig({ ...BASE, consul: { retryMax: '2s' } });
    expect(watcherOptions(consulWatch(config, 30))).to.deep.equal({ waitSeconds: 30, backoff: { maxMs: 2000 } });
    expect(watcherOptions(consulWatch(parseF5SyncConfig(BASE)))).to.deep.equal({ backoff: { maxMs: 30_000 } });
  });

  it('gives pools without a partition the syncer-wide `partition`; a pool may still name its own', () => {
    const config = parseF5SyncConfig({ ...BASE, partition: 'Live', pools: [{ consulService: 'a', name: 'p' }, { consulService: 'b', name: 'q', partition: 'Common' }] });
    expect(config.pools.map((pool) => `/${pool.partition}/${pool.name}`)).to.deep.equal(['/Live/p', '/Common/q']);
    expect(() => parseF5SyncConfig({ ...BASE, partition: 'bad name' })).to.throw(/partition .*"bad name"/);
  });

  const invalid: Array<[string, unknown, RegExp]> = [
    ['unknown setting', { ...BASE, poolz: [] }, /poolz is not a known setting/],
    ['bad pool name', { ...BASE, pools: [{ consulService: 'web', name: 'bad name' }] }, /pools\.0\.name .*"bad name"/],
    ['negative minActiveMembers', { ...BASE, pools: [{ consulService: 'web', name: 'p', minActiveMembers: -1 }] }, /minActiveMembers/],
    ['bad duration', { ...BASE, drainPeriod: 'soon' }, /drainPeriod: invalid duration "soon"/],
    ['bad consul.retryMax', { ...BASE, consul: { retryMax: 'later' } }, /consul\.retryMax: invalid duration "later"/],
    ['pool twice', { ...BASE, pools: [{ consulService: 'a', name: 'p' }, { consulService: 'b', name: 'p' }] }, /\/Common\/p is configured twice/],
    ['url without scheme', { ...BASE, bigip: { ...BASE.bigip, url: 'bigip:443' } }, /bigip\.url/],
    ['missing password', { ...BASE, bigip: { url: 'https://x', username: 'u' } }, /bigip\.password/],
    // #14 item 6: nothing is coerced; the error names the field, the value and the type wanted.
    ['a number for consulService', { ...BASE, pools: [{ consulService: 5, name: 'p' }] }, /pools\.0\.consulService must be a string, not 5 \(no value is converted\)/],
    ['a string for a role tag\'s priority', { ...BASE, roleTags: { master: '10' } }, /roleTags\.master must be an integer, not "10"/],
    ['a string for a boolean', { ...BASE, bigip: { ...BASE.bigip, verifyTls: 'false' } }, /bigip\.verifyTls must be a boolean, not "false"/],
    ['a fraction for an integer', { ...BASE, concurrency: 2.5 }, /concurrency must be an integer, not 2\.5/],
    ['a string for a number', { ...BASE, snat: { nearExhaustionRatio: '0.8' } }, /snat\.nearExhaustionRatio must be a number, not "0\.8"/],
    ['an object for a list', { ...BASE, pools: { consulService: 'web', name: 'p' } }, /pools must be an array/],
    ['debounce.min above debounce.max', { ...BASE, debounce: { min: '5s', max: '2s' } }, /debounce\.min \("5s"\) is longer than debounce\.max \("2s"\)/],
    ['retry.baseDelay above retry.maxDelay', { ...BASE, retry: { baseDelay: 10, maxDelay: '1s' } }, /retry\.baseDelay \(10\) is longer than retry\.maxDelay/],
  ];
  for (const [name, data, message] of invalid) {
    it(`rejects ${name}, naming the field`, () => {
      expect(() => parseF5SyncConfig(data)).to.throw(message);
    });
  }

  it('takes the password from BIGIP_PASSWORD, and flags over the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'f5-sync-config-'));
    try {
      const file = join(dir, 'f5-sync.json');
      writeFileSync(file, JSON.stringify({ bigip: { url: 'https://10.1.1.245', username: 'admin' }, pools: BASE.pools, metrics: { port: 1 } }));
      const config = loadF5SyncConfig({ file, env: { BIGIP_PASSWORD: 'from-env' }, flags: { 'metrics.port': 9100 } });
      expect(config.bigip.password).to.equal('from-env');
      expect(config.metrics.port).to.equal(9100);
      expect(() => loadF5SyncConfig({ file, env: {} })).to.throw(/bigip\.password/);
      // Environment strings are converted by the field's type, strictly, naming the variable.
      expect(loadF5SyncConfig({ file, env: { BIGIP_PASSWORD: 'x', F5_SYNC_OPS_PORT: '9200' } }).metrics.port).to.equal(9200);
      expect(() => loadF5SyncConfig({ file, env: { BIGIP_PASSWORD: 'x', F5_SYNC_OPS_PORT: '92o0' } })).to.throw(/F5_SYNC_OPS_PORT="92o0" is not integer \(for metrics\.port\)/);
      // The file's own types are checked before anything is filled in.
      writeFileSync(file, JSON.stringify({ bigip: { url: 'https://10.1.1.245', username: 'admin' }, pools: [{ consulService: 5, name: 'p' }] }));
      expect(() => loadF5SyncConfig({ file, env: { BIGIP_PASSWORD: 'x' } })).to.throw(ConfigError, /pools\.0\.consulService must be a string, not 5/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('member names', () => {
  const table: Array<[string, number, string]> = [
    ['10.0.0.1', 80, '10.0.0.1:80'],
    ['2001:db8::1', 8080, '2001:db8::1.8080'],
    ['10.0.0.1%2', 443, '10.0.0.1%2:443'],
    ['::ffff:10.0.0.1', 80, '::ffff:10.0.0.1.80'],
  ];
  for (const [address, port, name] of table) {
    it(`${address} ${port} <-> ${name}`, () => {
      expect(memberName(address, port)).to.equal(name);
      expect(parseMemberName(name)).to.deep.equal({ address, port });
    });
  }
  it('rejects names without a port', () => {
    expect(() => parseMemberName('10.0.0.1')).to.throw(/invalid pool member name/);
    expect(() => parseMemberName('10.0.0.1:99999')).to.throw(/invalid pool member name/);
  });
  it('builds ~Partition~name paths, escaping a route domain', () => {
    expect(memberPath({ partition: 'Tenant', name: 'p' }, '10.0.0.1%2:80')).to.equal('/mgmt/tm/ltm/pool/~Tenant~p/members/~Tenant~10.0.0.1%252:80');
  });
});

describe('Consul health entries', () => {
  const raw = [
    { Node: { Node: 'n1', Address: '10.0.0.9' }, Service: { ID: 'a', Service: 'web', Address: '', Port: 80, Tags: ['master', 'prod'], Meta: { 'f5-ratio': '2' } } },
    { Node: { Node: 'n1', Address: '10.0.0.9' }, Service: { ID: 'b', Service: 'web', Address: '10.0.0.2', Port: 80, Tags: null, Meta: null } },
  ];
  it('uses the node address when the service has none, and tolerates null tags/meta', () => {
    const parsed = parseHealthEntries(raw);
    expect(parsed.map((i) => `${i.id} ${i.address}:${i.port} [${i.tags}]`)).to.deep.equal(['a 10.0.0.9:80 [master,prod]', 'b 10.0.0.2:80 []']);
  });
  it('rejects an entry without a port', () => {
    // A valid node (core's parser checks the node first), a service without its port.
    expect(() => parseHealthEntries([{ Node: { Node: 'n1', Address: '10.0.0.1' }, Service: { ID: 'x', Service: 'web' } }])).to.throw(/Service\.Port/);
  });
  it('filters by the pool tag and maps role tags (highest wins, unknown -> default)', () => {
    const mapping = { roleTags: { master: 10, slave: 9 }, defaultPriority: 0, ratioMetaKey: 'f5-ratio' };
    const members = desiredMembers({ tag: 'prod' }, parseHealthEntries(raw), mapping);
    expect(members.members).to.deep.equal([{ name: '10.0.0.9:80', address: '10.0.0.9', port: 80, priorityGroup: 10, ratio: 2, instances: ['a'] }]);
    expect(priorityOf(['slave', 'master'], mapping)).to.equal(10);
    expect(priorityOf(['canary'], mapping)).to.equal(0);
  });
});

describe('iControl payloads and errors', () => {
  it('reads an expanded pool with no members as empty, and validates members', () => {
    expect(parseLivePool({ name: 'p', partition: 'Common', membersReference: { link: 'x', isSubcollection: true } }, true).members).to.deep.equal([]);
    expect(parseLivePool({ name: 'p', partition: 'Common', membersReference: { link: 'x' } }, false).members).to.equal(undefined);
    expect(() => parseLivePool({ name: 'p', membersReference: { items: [{ name: '10.0.0.1:80' }] } })).to.throw(/address/);
  });
  it('normalises monitor rules for comparison', () => {
    expect(normaliseMonitorRule('/Common/http ')).to.equal('/Common/http');
    expect(normaliseMonitorRule('http and tcp')).to.equal('/Common/http and /Common/tcp');
    expect(normaliseMonitorRule('min 1 of { /Common/http tcp }')).to.equal('min 1 of { /Common/http /Common/tcp }');
    expect(normaliseMonitorRule('none')).to.equal('');
  });
  it('classifies BIG-IP errors by status and mcpd code, also inside failed transactions', () => {
    const inTransaction = new IcontrolError('ERR_ICONTROL_REJECTED', 'x', { status: 400, method: 'PATCH', path: '/mgmt/tm/transaction/1', bigipMessage: 'transaction failed:01020066:3: The requested Pool Member (/Common/p /Common/10.0.0.1 80) already exists in partition Common.' });
    expect(inTransaction.bigipCode).to.equal('01020066');
    expect(isConflict(inTransaction)).to.equal(true);
    expect(isNotFound(new IcontrolError('ERR_ICONTROL_NOT_FOUND', 'x', { status: 404, method: 'DELETE', path: '/' }))).to.equal(true);
  });
  it('masks tokens in printed paths', () => {
    expect(printablePath('/mgmt/shared/authz/tokens/ABCDEF')).to.equal('/mgmt/shared/authz/tokens/[redacted]');
  });
});

describe('rate cap', () => {
  it('lets a burst through, then paces calls', async () => {
    const limiter = new RateLimiter(10);
    const started = Date.now();
    for (let i = 0; i < 15; i++) await limiter.acquire();
    const elapsed = Date.now() - started;
    expect(elapsed).to.be.within(400, 1500);
  });
  it('0 means no cap', async () => {
    const limiter = new RateLimiter(0);
    const started = Date.now();
    for (let i = 0; i < 1000; i++) await limiter.acquire();
    expect(Date.now() - started).to.be.lessThan(200);
  });
});

describe('iControl client against the stand-in @integration', function () {
  this.timeout(20_000);
  let env: Env;
  before(async () => {
    env = await startEnv({ tokenTimeoutSeconds: 600 });
  });
  after(async () => {
    await env.close();
  });

  it('never logs the password or the token, even at trace level; logs out on close', async () => {
    let logged = '';
    const destination = new Writable({ write(chunk, _enc, done) { logged += chunk.toString(); done(); } });
    const logger = createLogger({ name: 'test', level: 'trace', destination });
    let token = '';
    const client = new IcontrolClient({ url: env.bigip.url, username: 'admin', password: PASSWORD, ca: env.bigip.caPem, logger });
    expect(await client.version()).to.be.a('string');
    token = (client as unknown as { token: string }).token;
    expect(token).to.be.a('string').with.length.greaterThan(8);
    env.bigip.expireAllTokens();
    await client.request({ method: 'GET', path: '/mgmt/tm/ltm/pool' });
    const liveBefore = env.bigip.snapshot().liveTokens;
    await client.close();
    expect(env.bigip.snapshot().liveTokens).to.equal(liveBefore - 1);
    expect(client.logins).to.equal(2);
    expect(logged).to.contain('iControl call');
    expect(logged).to.not.contain(PASSWORD);
    expect(logged).to.not.contain(token);
  });

  it('409 on create -> re-read and PATCH; 404 on delete -> done', async () => {
    const client = new IcontrolClient({ url: env.bigip.url, username: 'admin', password: PASSWORD, ca: env.bigip.caPem });
    const calls: string[] = [];
    const counting = new IcontrolClient({ url: env.bigip.url, username: 'admin', password: PASSWORD, ca: env.bigip.caPem, onCall: (r) => calls.push(`${r.method} ${r.path} ${r.status}`) });
    // Someone created the pool (with minActiveMembers 0) after our read said it was missing.
    await client.request({ method: 'POST', path: '/mgmt/tm/ltm/pool', body: { name: 'race_pool', partition: 'Common' } });
    const pool = parseF5SyncConfig({ ...BASE, pools: [{ consulService: 'race', name: 'race_pool' }] }).pools[0];
    const syncer = new PoolSyncer({ target: new BigipPoolTarget(counting), logger: silentLogger(), plan: { ownerMark: 'f5-sync', drainPeriodMs: 0, holdWhenEmptyFrom: 2 } });
    const desired = desiredMembers(pool, [{ id: 'r1', node: 'n', address: '10.0.0.7', port: 80, tags: ['master'], meta: {} }], { roleTags: { master: 10 }, defaultPriority: 0, ratioMetaKey: 'x' });
    const result = await syncer.sync(pool, desired, { live: undefined });
    expect(result.outcome).to.equal('applied');
    expect(calls.filter((c) => !c.startsWith('POST /mgmt/shared'))).to.deep.equal([
      'POST /mgmt/tm/ltm/pool 409',
      'GET /mgmt/tm/ltm/pool/~Common~race_pool?expandSubcollections=true 200',
      'POST /mgmt/tm/transaction 200',
      'PATCH /mgmt/tm/ltm/pool/~Common~race_pool 200',
      'POST /mgmt/tm/ltm/pool/~Common~race_pool/members 200',
      'PATCH /mgmt/tm/transaction/' + calls.find((c) => c.startsWith('PATCH /mgmt/tm/transaction/'))!.split('/')[4],
    ]);
    const after = env.bigip.snapshot().pools.find((p) => p.name === 'race_pool') as { minActiveMembers: number; members: unknown[] };
    expect(after.minActiveMembers).to.equal(1);
    expect(after.members).to.have.length(1);
    // A member already gone: DELETE answers 404, which counts as done.
    const gone = await applyPlan(counting, { pool: '/Common/race_pool', ref: { partition: 'Common', name: 'race_pool' }, actions: [{ kind: 'removeMember', member: '10.0.0.99:80' }] });
    expect(gone).to.deep.equal({ calls: 1, transaction: false });
    expect(calls[calls.length - 1]).to.equal('DELETE /mgmt/tm/ltm/pool/~Common~race_pool/members/~Common~10.0.0.99:80 404');
    await client.close();
    await counting.close();
  });

  it('a transaction is all or nothing; the commit goes without the coordination header', async () => {
    const client = new IcontrolClient({ url: env.bigip.url, username: 'admin', password: PASSWORD, ca: env.bigip.caPem });
    await client.request({ method: 'POST', path: '/mgmt/tm/ltm/pool', body: { name: 'tx_pool', partition: 'Common' } });
    const failed = await client
      .transaction([
        { method: 'POST', path: '/mgmt/tm/ltm/pool/~Common~tx_pool/members', body: { name: '10.0.0.1:80', address: '10.0.0.1' } },
        { method: 'DELETE', path: '/mgmt/tm/ltm/pool/~Common~tx_pool/members/~Common~10.0.0.2:80' },
      ])
      .then(() => undefined, (err: unknown) => err);
    expect(isNotFound(failed)).to.equal(true);
    expect(env.bigip.snapshot().pools.find((p) => p.name === 'tx_pool')!.members).to.deep.equal([]);
    const state = await client.transaction([
      { method: 'POST', path: '/mgmt/tm/ltm/pool/~Common~tx_pool/members', body: { name: '10.0.0.1:80', address: '10.0.0.1' } },
      { method: 'PATCH', path: '/mgmt/tm/ltm/pool/~Common~tx_pool', body: { minActiveMembers: 1 } },
    ]);
    expect(state.state).to.equal('COMPLETED');
    expect((env.bigip.snapshot().pools.find((p) => p.name === 'tx_pool')!.members as unknown[]).length).to.equal(1);
    await client.close();
  });
});
