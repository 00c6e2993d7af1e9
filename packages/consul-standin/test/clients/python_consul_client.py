"""Drives a Consul HTTP API with python-consul (Debian's python3-consul) the way its users do:
registration with HTTP/TCP/TTL checks, KV put/get/cas/recurse/keys/blocking, sessions and locks,
health, catalog, members. Asserts as it goes; prints one JSON line of findings at the end.

usage: python_consul_client.py HOST:PORT [OTHER_HOST:PORT [FEDERATED_DC]]
The second address (another agent of the same cluster) reads what the first wrote; default: the first.
FEDERATED_DC: a datacenter federated with the first's, written and read through dc=.
"""

import json
import sys
import time

import consul


def client(address):
    host, port = address.rsplit(':', 1)
    return consul.Consul(host=host, port=int(port))


def eventually(what, probe, timeout=5.0):
    deadline = time.time() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError('timed out waiting for %s' % what)
        time.sleep(0.05)


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def put(c, path, **params):
    """PUT through python-consul's own HTTP client, as Ansible's consul module patches deregister."""
    return c.http.put(consul.base.CB.bool(), path, params=params)


def main():
    first = sys.argv[1]
    c = client(first)
    other = client(sys.argv[2] if len(sys.argv) > 2 else first)
    host, port = first.rsplit(':', 1)
    found = {}

    me = c.agent.self()
    node = me['Config']['NodeName']
    dc = me['Config']['Datacenter']
    found['node'] = node

    # Registration with checks of each kind the agent runs.
    check(c.agent.service.register('py-web', service_id='py-web-1', address='127.0.0.1', port=8080, tags=['a', 'b'],
                                   check=consul.Check.http('http://%s/v1/status/leader' % first, '1s', timeout='2s')), 'register http')
    check(c.agent.service.register('py-tcp', port=int(port), check=consul.Check.tcp(host, int(port), '1s')), 'register tcp')
    check(c.agent.service.register('py-ttl', port=1, check=consul.Check.ttl('30s')), 'register ttl')
    # python-consul 0.7.1 GETs check pass/warn/fail and the deregister endpoints; Consul >= 1.0 enforces
    # PUT there (405 "method GET not allowed"), which its bool callback turns into False.
    check(c.agent.check.ttl_pass('service:py-ttl', 'fed by python') is False, 'GET check/pass is refused')
    check(c.agent.checks()['service:py-ttl']['Status'] == 'critical', 'a refused pass changes nothing')
    check(put(c, '/v1/agent/check/pass/service:py-ttl', note='fed by python'), 'ttl pass')
    check(c.agent.check.register('py-node-check', check=consul.Check.ttl('30s'), notes='a node check'), 'check register')
    services = c.agent.services()
    check(set(['py-web-1', 'py-tcp', 'py-ttl']) <= set(services), 'agent services: %r' % sorted(services))
    check(services['py-web-1']['Tags'] == ['a', 'b'] and services['py-web-1']['Port'] == 8080, 'service fields')
    checks = c.agent.checks()
    check(checks['service:py-ttl']['Status'] == 'passing' and checks['service:py-ttl']['Output'] == 'fed by python', 'ttl fed')
    check(checks['py-node-check']['Status'] == 'critical', 'a TTL check starts critical')
    # A critical node check takes every instance on the node out of ?passing.
    check(other.health.service('py-ttl', passing=True)[1] == [], 'node check critical -> not passing')
    check(put(c, '/v1/agent/check/pass/py-node-check'), 'node check pass')

    for name in ('py-web', 'py-tcp', 'py-ttl'):
        eventually('%s passing' % name, lambda: len(other.health.service(name, passing=True)[1]) == 1)
    index, entries = other.health.service('py-web', passing=True)
    check(int(index) > 0, 'X-Consul-Index on health')
    entry = entries[0]
    check(entry['Node']['Node'] == node and entry['Service']['ID'] == 'py-web-1', 'health entry: %r' % entry['Service'])
    check([x['CheckID'] for x in entry['Checks']] == ['py-node-check', 'serfHealth', 'service:py-web-1']
          or [x['CheckID'] for x in entry['Checks']] == ['serfHealth', 'py-node-check', 'service:py-web-1'],
          'checks of the entry: %r' % [x['CheckID'] for x in entry['Checks']])
    check(other.health.service('py-web', passing=False)[1][0]['Service']['Port'] == 8080, 'health without passing')

    # Maintenance takes the instance out of ?passing.
    check(c.agent.service.maintenance('py-web-1', 'true', 'python says so'), 'maintenance on')
    eventually('out of passing', lambda: other.health.service('py-web', passing=True)[1] == [])
    check(c.agent.service.maintenance('py-web-1', 'false'), 'maintenance off')
    eventually('back in passing', lambda: len(other.health.service('py-web', passing=True)[1]) == 1)

    # Node maintenance takes every instance on the node out.
    check(c.agent.maintenance('true', 'python drains the node'), 'node maintenance on')
    eventually('node drained', lambda: other.health.service('py-ttl', passing=True)[1] == [])
    check('_node_maintenance' in c.agent.checks(), 'the maintenance check')
    check(c.agent.maintenance('false'), 'node maintenance off')
    eventually('node back', lambda: len(other.health.service('py-ttl', passing=True)[1]) == 1)

    # An external service written straight into the catalog (python-consul sends lower-case keys and
    # the datacenter in the body).
    check(c.catalog.register('py-external', '10.1.2.3', service={'service': 'py-ext', 'port': 80, 'tags': ['x']},
                             check={'name': 'ext', 'status': 'passing', 'serviceid': 'py-ext'}, dc=dc), 'catalog register')
    index, ext = other.health.service('py-ext', passing=True, tag='x')
    check([(e['Node']['Node'], e['Node']['Address'], e['Service']['Port']) for e in ext] == [('py-external', '10.1.2.3', 80)],
          'external instance: %r' % ext)
    check([x['CheckID'] for x in ext[0]['Checks']] == ['ext'], 'no serfHealth on a catalog-only node')
    check(c.catalog.deregister('py-external', dc=dc), 'catalog deregister')
    check(other.health.service('py-ext')[1] == [], 'external instance gone')

    # Catalog.
    index, names = other.catalog.services()
    check('py-web' in names and 'consul' in names and sorted(names['py-web']) == ['a', 'b'], 'catalog services: %r' % names)
    index, instances = other.catalog.service('py-web', tag='a')
    check([i['ServiceID'] for i in instances] == ['py-web-1'] and instances[0]['Node'] == node, 'catalog service')
    index, nodes = other.catalog.nodes()
    check(node in [n['Node'] for n in nodes], 'catalog nodes')
    index, mine = other.catalog.node(node)
    check('py-web-1' in mine['Services'], 'catalog node')
    check(other.catalog.datacenters()[0] == dc, 'datacenters')
    index, node_checks = other.health.node(node)
    check('serfHealth' in [x['CheckID'] for x in node_checks], 'health node')
    index, passing = other.health.state('passing')
    check('service:py-ttl' in [x['CheckID'] for x in passing], 'health state')
    index, web_checks = other.health.checks('py-web')
    check([x['CheckID'] for x in web_checks] == ['service:py-web-1'], 'health checks')
    members = c.agent.members()
    check([m['Status'] for m in members if m['Name'] == node] == [1], 'members')
    check(c.status.leader() != '', 'leader')

    # KV.
    check(c.kv.put('py/a', '1') is True, 'put')
    index, item = other.kv.get('py/a')
    check(item['Value'] == b'1' and item['Key'] == 'py/a', 'get: %r' % item)
    check(c.kv.put('py/a', '2', cas=item['ModifyIndex'] + 1000) is False, 'cas with a wrong index')
    check(c.kv.put('py/a', '2', cas=item['ModifyIndex']) is True, 'cas with the right index')
    check(c.kv.put('py/a', '3', cas=0) is False, 'cas=0 on an existing key')
    check(c.kv.put('py/b/c', 'deep', flags=42) is True, 'put with flags')
    check(c.kv.put('py/dir/', None) is True, 'a directory key')
    index, items = other.kv.get('py/', recurse=True)
    check([i['Key'] for i in items] == ['py/a', 'py/b/c', 'py/dir/'], 'recurse: %r' % [i['Key'] for i in items])
    check([i['Flags'] for i in items if i['Key'] == 'py/b/c'] == [42], 'flags')
    check([i['Value'] for i in items if i['Key'] == 'py/dir/'] == [None], 'a directory key reads None')
    index, keys = other.kv.get('py/', keys=True, separator='/')
    check(keys == ['py/a', 'py/b/', 'py/dir/'], 'keys: %r' % keys)
    stale = client(sys.argv[2] if len(sys.argv) > 2 else first)
    stale.consistency = 'stale'
    check(stale.kv.get('py/a')[1]['Value'] == b'2', 'a stale read')
    check(other.kv.get('py/a', consistency='consistent')[1]['Value'] == b'2', 'a consistent read')
    index, missing = other.kv.get('py/none')
    check(missing is None and int(index) > 0, 'a missing key')
    index, item = other.kv.get('py/a')
    started = time.time()
    again, same = other.kv.get('py/a', index=index, wait='200ms')
    check(time.time() - started >= 0.15 and again == index, 'a blocking read waits out its wait')
    check(c.kv.delete('py/', recurse=True) is True, 'delete recurse')
    check(other.kv.get('py/', recurse=True)[1] is None, 'deleted')

    # Sessions and locks.
    sid = c.session.create(name='py-leader', lock_delay=0, ttl=10)
    rival = other.session.create(name='py-rival', lock_delay=0)
    check(c.kv.put('py/lock', 'me', acquire=sid) is True, 'acquire')
    check(other.kv.put('py/lock', 'you', acquire=rival) is False, 'a held lock is refused')
    index, held = other.kv.get('py/lock')
    check(held['Session'] == sid and held['LockIndex'] == 1, 'lock holder')
    check(c.kv.put('py/lock', 'me', release=sid) is True, 'release')
    check(other.kv.put('py/lock', 'you', acquire=rival) is True, 'acquire after release')
    index, info = other.session.info(sid)
    check(info['Node'] == node and info['Name'] == 'py-leader' and info['TTL'] == '10s' and info['LockDelay'] == 0, 'info: %r' % info)
    check(info.get('NodeChecks', info.get('Checks')) == ['serfHealth'], 'default session checks')
    index, listed = other.session.list()
    check(sid in [s['ID'] for s in listed], 'session list')
    index, on_node = other.session.node(node)
    check(sid in [s['ID'] for s in on_node], 'session node')
    renewed = c.session.renew(sid)
    check(renewed['ID'] == sid, 'renew')
    check(c.session.destroy(sid) is True, 'destroy')
    try:
        c.session.renew(sid)
        raise AssertionError('renew of a destroyed session must fail')
    except consul.NotFound as gone:
        check("Session id '%s' not found" % sid in str(gone), 'the 404 text: %s' % gone)
    check(other.session.destroy(rival) is True, 'destroy rival')
    index, released = other.kv.get('py/lock')
    check('Session' not in released, 'destroying the holder released the lock')
    c.kv.delete('py/lock')

    # Another datacenter, through python-consul's dc= (every KV, catalog, health and session call takes it).
    if len(sys.argv) > 3:
        remote_dc = sys.argv[3]
        check(remote_dc in c.catalog.datacenters(), 'federated datacenter listed')
        far = client(first)
        far.dc = remote_dc
        check(far.kv.put('py/far', 'away') is True, 'put in %s' % remote_dc)
        check(c.kv.get('py/far')[1] is None, 'not in the local datacenter')
        check(other.kv.get('py/far', dc=remote_dc)[1]['Value'] == b'away', 'read back from %s' % remote_dc)
        index, far_nodes = far.catalog.nodes()
        check(all(n['Datacenter'] == remote_dc for n in far_nodes), 'nodes of %s' % remote_dc)
        check(far.kv.delete('py/far') is True, 'delete in %s' % remote_dc)
        try:
            c.kv.get('py/far', dc='nowhere')
            raise AssertionError('an unknown datacenter must fail')
        except consul.ConsulException as unknown:
            check('500 No path to datacenter' in str(unknown), 'unknown dc: %s' % unknown)
        found['federated'] = remote_dc

    # Cleanup.
    check(c.agent.service.deregister('py-tcp') is False, 'GET service/deregister is refused')
    for service_id in ('py-web-1', 'py-tcp', 'py-ttl'):
        check(put(c, '/v1/agent/service/deregister/%s' % service_id), 'deregister %s' % service_id)
    check(c.agent.check.deregister('py-node-check') is False, 'GET check/deregister is refused')
    check(put(c, '/v1/agent/check/deregister/py-node-check'), 'check deregister')
    eventually('deregistered everywhere', lambda: 'py-web' not in other.catalog.services()[1])
    found['ok'] = True
    print(json.dumps(found))


if __name__ == '__main__':
    main()
