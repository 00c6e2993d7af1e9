// How a backend's part of the desired state (`scale`) is validated, completed and told apart from another service's.

export interface TargetIdentity {
  /** Equal keys mean two services would scale the same thing: the file is rejected. */
  key: string;
  /** The field that names it (relative to `scale`), its value, and what it is in words, for the error. */
  field: string;
  value: string;
  what: string;
}

/** Something only this machine can tell about a valid target (a file that is missing), for `healer validate`. */
export interface TargetProblem {
  /** Relative to `scale`. */
  field: string;
  value: string;
  message: string;
}

export interface TargetCodec<T extends { kind: string }> {
  readonly kind: T['kind'];
  /** JSON schema of `scale` for this kind (its `kind` property included). */
  readonly schema: object;
  /**
   * Completes a schema-valid target (e.g. resolves paths against the desired file's directory) and checks what a
   * schema cannot; throws a CodedError whose details name `field` (the target's path in the file) and the value.
   */
  resolve(target: T, context: { baseDir: string; field: string }): T;
  identity(target: T): TargetIdentity;
  /** Checks against this machine (I/O, so never part of parsing): an empty list when the backend can run it. */
  check(target: T): TargetProblem[];
}
