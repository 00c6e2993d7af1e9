// iControl REST error replies: mcpd validation errors and restjavad framework errors, with BIG-IP's texts.

/** mcpd errors carry apiError 3; restjavad's own validation uses 26214401; a failed transaction 2. */
export const API_ERROR = { mcpd: 3, framework: 26214401, transaction: 2, objectLookup: 1 } as const;

export type ErrorBody = Record<string, unknown> & { code: number; message: string };

/** An error that becomes one HTTP reply. Thrown by the config operations, caught by the router. */
export class IcrError extends Error {
  /** For 405 replies: the methods the path supports (sent as the Allow header). */
  allow: readonly string[] | undefined;

  constructor(
    readonly status: number,
    message: string,
    readonly apiError: number = API_ERROR.mcpd,
    /** restjavad (not mcpd) errors have a different shape: kind ":resterrorresponse", no apiError. */
    readonly restFramework = false,
  ) {
    super(message);
    this.name = 'IcrError';
  }

  toBody(restOperationId: number, referer: string): ErrorBody {
    if (this.restFramework) {
      return { code: this.status, message: this.message, referer, restOperationId, errorStack: [], kind: ':resterrorresponse' };
    }
    return { code: this.status, message: this.message, errorStack: [], apiError: this.apiError };
  }
}

/** mcpd message texts, word for word as BIG-IP prints them. Objects are named by full path. */
export const mcpd = {
  poolNotFound: (pool: string) => new IcrError(404, `01020036:3: The requested Pool (${pool}) was not found.`),
  poolExists: (pool: string, partition: string) =>
    new IcrError(409, `01020066:3: The requested Pool (${pool}) already exists in partition ${partition}.`),
  // Members are printed "<pool> <node> <port>", space separated, both fully qualified.
  memberNotFound: (pool: string, node: string, port: number) =>
    new IcrError(404, `01020036:3: The requested Pool Member (${pool} ${node} ${port}) was not found.`),
  memberExists: (pool: string, node: string, port: number, partition: string) =>
    new IcrError(409, `01020066:3: The requested Pool Member (${pool} ${node} ${port}) already exists in partition ${partition}.`),
  nodeNotFound: (node: string) => new IcrError(404, `01020036:3: The requested Node (${node}) was not found.`),
  nodeExists: (node: string, partition: string) =>
    new IcrError(409, `01020066:3: The requested Node (${node}) already exists in partition ${partition}.`),
  nodeReferenced: (node: string, pool: string) =>
    new IcrError(400, `01070110:3: Node address '${node}' is referenced by a member of pool '${pool}'.`),
  // (inferred) mcpd refuses a second node on one address; the exact text is not in our sources.
  nodeAddressInUse: (address: string, node: string) =>
    new IcrError(400, `01070734:3: Configuration error: Node address ${address} is already used by node ${node}.`),
  folderNotFound: (folder: string) => new IcrError(404, `01020036:3: The requested folder (${folder}) was not found.`),
  // (inferred) texts for partitions: the 01020036/01020066 forms mcpd uses for other objects.
  partitionNotFound: (partition: string) => new IcrError(404, `01020036:3: The requested partition (${partition}) was not found.`),
  partitionExists: (partition: string) => new IcrError(409, `01020066:3: The requested partition (${partition}) already exists.`),
  partitionNotEmpty: (partition: string, object: string) =>
    new IcrError(400, `0107082a:3: All objects must be removed from a partition (${partition}) before the partition may be removed, type ID (${object})`),
  monitorNotFound: (monitor: string) => new IcrError(400, `01020036:3: The requested monitor (${monitor}) was not found.`),
  invalidAddress: (address: string) => new IcrError(400, `01070734:3: Configuration error: invalid address: ${address}`),
  addressReadOnly: (pool: string, node: string, port: number) =>
    new IcrError(400, `01070734:3: Configuration error: Cannot change the address of Pool Member (${pool} ${node} ${port}).`),
} as const;

/** restjavad-level validation, before anything reaches mcpd. */
export const framework = {
  unexpectedProperty: (item: string, key: string, value: unknown) =>
    new IcrError(400, `Found unexpected json pair at configuration item ${item}. The json pair "${key}":${JSON.stringify(value)} is not supported.`, API_ERROR.framework),
  invalidValue: (item: string, key: string, value: unknown, expected: string) =>
    new IcrError(400, `Invalid value for property "${key}" at configuration item ${item}: ${JSON.stringify(value)} (expected ${expected}).`, API_ERROR.framework),
  missingProperty: (item: string, key: string) =>
    new IcrError(400, `Missing required property "${key}" at configuration item ${item}.`, API_ERROR.framework),
  noProperties: () => new IcrError(400, 'one or more properties must be specified', API_ERROR.framework),
  invalidJson: () => new IcrError(400, 'Found invalid JSON body in the request.', API_ERROR.framework),
  htmlContent: () => new IcrError(400, 'HTML Tag-like Content in the Request URL/Body', API_ERROR.framework),
  folderNotFound: (partition: string) => new IcrError(400, `The requested folder (/${partition}) was not found.`, API_ERROR.framework),
  nameMismatch: (item: string, expected: string, got: unknown) =>
    new IcrError(400, `The name in the body (${JSON.stringify(got)}) does not match the object ${expected} at configuration item ${item}.`, API_ERROR.framework),
  objectNotFound: (fullPath: string) => new IcrError(404, `Object not found - ${fullPath}`, API_ERROR.objectLookup),
} as const;

/** restjavad's own replies (auth, routing): kind ":resterrorresponse". */
export const rest = {
  uriNotRegistered: (path: string) =>
    new IcrError(404, `URI path ${path} not registered.  Please verify URI is supported and wait for /available suffix to be responsive.`, 0, true),
  noAuthentication: (uri: string, sender: string) =>
    new IcrError(401, `Authorization failed: no user authentication header or token detected. Uri:${uri} Referrer:${sender} Sender:${sender}`, 0, true),
  tokenDoesNotExist: () => new IcrError(401, 'X-F5-Auth-Token does not exist.', 0, true),
  authenticationFailed: () => new IcrError(401, 'Authentication failed.', 0, true),
  loginProviderInvalid: () => new IcrError(400, 'loginProviderName is invalid.', 0, true),
  // (inferred) texts below: BIG-IP's exact wording is not in our sources.
  methodNotAllowed: (method: string, path: string, allow?: readonly string[]) => {
    const error = new IcrError(405, `Method ${method} is not supported on ${path}.`, 0, true);
    error.allow = allow;
    return error;
  },
  badQuery: (option: string, value: string) => new IcrError(400, `Query parameter ${option} has an invalid value: ${JSON.stringify(value)}.`, 0, true),
  bodyTooLarge: () => new IcrError(413, 'Request body too large.', 0, true),
  internalError: (detail: string) => new IcrError(500, `Internal Server Error: ${detail}`, 0, true),
} as const;
