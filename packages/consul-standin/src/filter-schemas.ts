// The data types each endpoint's ?filter= selectors are checked against.

import { list, map, Schema, struct, structList, value } from './filter-expression';

const weights = struct({ Passing: value, Warning: value });

const nodeFields = {
  ID: value,
  Node: value,
  Address: value,
  Datacenter: value,
  TaggedAddresses: map,
  Meta: map,
  CreateIndex: value,
  ModifyIndex: value,
};

const checkFields = {
  Node: value,
  CheckID: value,
  Name: value,
  Status: value,
  Notes: value,
  Output: value,
  ServiceID: value,
  ServiceName: value,
  ServiceTags: list,
  Type: value,
  Interval: value,
  Timeout: value,
  ExposedPort: value,
  CreateIndex: value,
  ModifyIndex: value,
};

export const agentServiceSchema: Schema = struct({
  Kind: value,
  ID: value,
  Service: value,
  Tags: list,
  Meta: map,
  Port: value,
  Address: value,
  TaggedAddresses: map,
  Weights: weights,
  EnableTagOverride: value,
  Datacenter: value,
});

export const catalogServiceSchema: Schema = struct({
  ID: value,
  Node: value,
  Address: value,
  Datacenter: value,
  TaggedAddresses: map,
  NodeMeta: map,
  ServiceKind: value,
  ServiceID: value,
  ServiceName: value,
  ServiceTags: list,
  ServiceAddress: value,
  ServiceTaggedAddresses: map,
  ServiceWeights: weights,
  ServiceMeta: map,
  ServicePort: value,
  ServiceEnableTagOverride: value,
  CreateIndex: value,
  ModifyIndex: value,
});

export const nodeSchema: Schema = struct(nodeFields);

export const checkSchema: Schema = struct(checkFields);

export const healthServiceSchema: Schema = struct({
  Node: struct(nodeFields),
  Service: struct({
    ID: value,
    Service: value,
    Tags: list,
    Address: value,
    TaggedAddresses: map,
    Meta: map,
    Port: value,
    Weights: weights,
    EnableTagOverride: value,
    CreateIndex: value,
    ModifyIndex: value,
  }),
  Checks: structList(checkFields),
});
