// Pure: `registrator role promote <id>` sets one instance to master and every other instance of its service to slave.

export interface RoleAssignment {
  serviceId: string;
  role: string;
}

/** Pure: the assignments of a promotion. */
export function planPromotion(serviceId: string, instances: readonly string[], masterRole = 'master', otherRole = 'slave'): RoleAssignment[] {
  const others = instances.filter((id) => id !== serviceId);
  return [{ serviceId, role: masterRole }, ...others.map((id) => ({ serviceId: id, role: otherRole }))];
}
