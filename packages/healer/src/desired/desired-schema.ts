// The JSON schema of the desired-state file; each backend contributes the schema of its `scale` section.

import { scaleTargetSchema } from '../backends/scale-target';

const duration = { type: ['string', 'number'] } as const;

const SERVICE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['min', 'scale'],
  properties: {
    min: { type: 'integer', minimum: 0 },
    max: { type: 'integer', minimum: 0 },
    tag: { type: 'string', minLength: 1 },
    gracePeriod: duration,
    // Rancher's strategies: report only, recreate (the default), or recreate only while N instances pass.
    healthStrategy: {
      oneOf: [
        { enum: ['none', 'recreate'] },
        { type: 'object', additionalProperties: false, required: ['atLeastHealthy'], properties: { atLeastHealthy: { type: 'integer', minimum: 1 } } },
      ],
    },
    // The backend's own section, chosen by `scale.kind` (default "compose").
    scale: scaleTargetSchema(),
  },
} as const;

const POLICY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    expectationTimeout: duration,
    backoffBase: duration,
    backoffMax: duration,
    backoffJitter: { type: 'number', minimum: 0, maximum: 1 },
    maxActionsPerWindow: { type: 'integer', minimum: 1 },
    actionWindow: duration,
    breakerFailures: { type: 'integer', minimum: 1 },
    breakerCooldown: duration,
    maxBatch: { type: 'integer', minimum: 1 },
    quorumMinServices: { type: 'integer', minimum: 1 },
    quorumMaxFailingFraction: { type: 'number', minimum: 0, maximum: 1 },
    composeTimeout: duration,
  },
} as const;

export const DESIRED_STATE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['services'],
  properties: {
    services: {
      type: 'object',
      minProperties: 1,
      // Consul service names: letters, digits, dashes (and the dots/underscores people use anyway).
      propertyNames: { pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
      additionalProperties: SERVICE_SCHEMA,
    },
    policy: POLICY_SCHEMA,
  },
} as const;
