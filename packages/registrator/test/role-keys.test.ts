// A role belongs to one container instance: the stored binding, who it applies to, and which keys are bound or deleted.

import { expect } from 'chai';
import { planRoleKeys, type RoleKeyAction } from '../src/plan/role-keys';
import { defineContainerServices, uninspectedDefinition, type ContainerDefinition } from '../src/plan/service-definitions';
import { decodeRoleValue, encodeRoleValue, type RoleEntry } from '../src/role-keys';
import { inspect, options } from './fixtures';

const OLD = '0'.repeat(64);
const NEW = '1'.repeat(64);

describe('registrator role keys (pure)', () => {
  describe('the stored value', () => {
    const cases: Array<[string, string, ReturnType<typeof decodeRoleValue>]> = [
      ['a plain role (hand-written, or an older registrator): unbound', 'master\n', { role: 'master' }],
      ['an empty value: no role', '  ', undefined],
      ['a binding', JSON.stringify({ role: 'slave', container: NEW, node: 'host1' }), { role: 'slave', container: NEW, node: 'host1' }],
      ['broken JSON, named', '{"role":', { invalid: 'value "{\\"role\\":" is neither a role nor JSON' }],
      ['a binding without a container, named', '{"role":"master"}', { invalid: 'container is undefined, expected a container id' }],
      ['a binding whose role is not a string, named', `{"role":5,"container":"${NEW}"}`, { invalid: 'role is 5, expected a string' }],
    ];
    for (const [what, value, expected] of cases) it(`reads ${what}`, () => expect(decodeRoleValue(value)).to.deep.equal(expected));

    it('writes a binding as JSON and an unbound role plain, and reads back what it wrote', () => {
      const bound = { role: 'master', container: NEW, node: 'host1' };
      expect(decodeRoleValue(encodeRoleValue(bound))).to.deep.equal(bound);
      expect(encodeRoleValue({ role: 'master' })).to.equal('master');
    });
  });

  describe('who a role applies to', () => {
    const tags = (containerId: string, binding: { role: string; container?: string }) =>
      defineContainerServices(inspect({ id: containerId }), options(), new Map([['host1:web:80', binding]])).services[0].registration.tags;
    it('the container it is bound to', () => expect(tags(NEW, { role: 'master', container: NEW })).to.deep.equal(['master']));
    it('never a new container with the same name (a compose recreate)', () => expect(tags(NEW, { role: 'master', container: OLD })).to.deep.equal([]));
    it('an unbound role: whoever has the service ID', () => expect(tags(NEW, { role: 'master' })).to.deep.equal(['master']));
  });

  describe('planRoleKeys', () => {
    const running = (id: string, name = 'web'): ContainerDefinition => defineContainerServices(inspect({ id, name }), options());
    const stopped = (id: string, name = 'web'): ContainerDefinition => uninspectedDefinition({ id, name, status: 'exited' }, 'always');
    const entry = (role: string, container?: string, node?: string, modifyIndex = 7): RoleEntry => ({ role, container, node, modifyIndex });
    const cases: Array<{ title: string; roles: Record<string, RoleEntry>; containers: ContainerDefinition[]; expect: RoleKeyAction[] }> = [
      { title: 'a role of a container that still runs: kept', roles: { 'host1:web:80': entry('master', NEW, 'host1') }, containers: [running(NEW)], expect: [] },
      { title: 'a role of a stopped container that still exists: kept (docker start brings back the same instance)', roles: { 'host1:web:80': entry('master', OLD, 'host1') }, containers: [stopped(OLD)], expect: [] },
      {
        title: 'a role of a removed container, though a new one has the name: deleted at its index',
        roles: { 'host1:web:80': entry('master', OLD, 'host1') },
        containers: [running(NEW)],
        expect: [{ kind: 'delete-role', serviceId: 'host1:web:80', index: 7, reason: 'container-gone', container: OLD }],
      },
      { title: 'a role of another node\'s container: never touched', roles: { 'host2:web:80': entry('master', OLD, 'host2') }, containers: [], expect: [] },
      {
        title: 'an unbound role: bound to the container defining the ID',
        roles: { 'host1:web:80': entry('slave') },
        containers: [running(NEW)],
        expect: [{ kind: 'bind-role', serviceId: 'host1:web:80', index: 7, binding: { role: 'slave', container: NEW, node: 'host1' } }],
      },
      { title: 'an unbound role of this node that no container has: deleted', roles: { 'host1:gone:80': entry('master') }, containers: [running(NEW)], expect: [{ kind: 'delete-role', serviceId: 'host1:gone:80', index: 7, reason: 'unbound-orphan' }] },
      { title: 'an unbound role of a stopped container of that name: kept', roles: { 'host1:web:80': entry('master') }, containers: [stopped(OLD)], expect: [] },
      { title: 'an unbound role of another node or a custom ID nobody here has: never touched', roles: { 'host2:web:80': entry('master'), 'redis-primary': entry('master') }, containers: [running(NEW)], expect: [] },
    ];
    for (const c of cases) {
      it(c.title, () => {
        const containers = new Map(c.containers.map((d) => [d.containerId, d]));
        expect(planRoleKeys({ node: 'host1', roles: new Map(Object.entries(c.roles)), containers })).to.deep.equal(c.expect);
      });
    }
  });
});
