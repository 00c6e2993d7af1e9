// iControl REST transactions: commands queued per transId, applied all-or-nothing on commit, dropped on timeout.
import { selfLink } from './bigip-version';
import { API_ERROR, IcrError } from './errors';
import { cloneConfig, settleDraft, type LtmConfig } from './ltm-config';
import { executeLtm } from './ltm-routes';

export type TransactionState = 'STARTED' | 'VALIDATING' | 'COMPLETED' | 'FAILED';

export interface TransactionCommand {
  commandId: number;
  evalOrder: number;
  method: string;
  path: string;
  query: string;
  body: unknown;
}

export interface Transaction {
  transId: number;
  state: TransactionState;
  timeoutSeconds: number;
  expiresAtMs: number;
  validateOnly: boolean;
  failureReason: string;
  executionTimeMs: number;
  commands: TransactionCommand[];
  nextCommandId: number;
}

/** The live configuration, swapped whole when a transaction commits. */
export interface ConfigHolder {
  config: LtmConfig;
}

const EXECUTION_TIMEOUT_SECONDS = 300;
/** Finished transactions stay readable for a while, then go. */
const FINISHED_RETENTION_MS = 10 * 60 * 1000;

export function transactionNotFound(transId: string | number): IcrError {
  // (inferred) wording; the status and shape follow other restjavad lookups.
  return new IcrError(404, `Transaction ${transId} does not exist.`, API_ERROR.objectLookup);
}

export class TransactionStore {
  private readonly transactions = new Map<number, Transaction>();
  private lastId = 0;

  constructor(
    private readonly timeoutSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  create(): Transaction {
    // BIG-IP transIds are microsecond timestamps; keep them unique when two arrive in one millisecond.
    this.lastId = Math.max(this.lastId + 1, this.now() * 1000);
    const transaction: Transaction = {
      transId: this.lastId,
      state: 'STARTED',
      timeoutSeconds: this.timeoutSeconds,
      expiresAtMs: this.now() + this.timeoutSeconds * 1000,
      validateOnly: false,
      failureReason: '',
      executionTimeMs: 0,
      commands: [],
      nextCommandId: 1,
    };
    this.transactions.set(transaction.transId, transaction);
    return transaction;
  }

  /** Drops STARTED transactions past their timeout, silently, as BIG-IP does. */
  private purge(): void {
    const now = this.now();
    for (const [transId, transaction] of this.transactions) {
      if (now >= transaction.expiresAtMs) this.transactions.delete(transId);
    }
  }

  get(transId: string | number): Transaction {
    this.purge();
    const transaction = this.transactions.get(Number(transId));
    if (!transaction || !/^\d+$/.test(String(transId))) throw transactionNotFound(transId);
    return transaction;
  }

  list(): Transaction[] {
    this.purge();
    return [...this.transactions.values()];
  }

  delete(transId: string | number): void {
    this.transactions.delete(this.get(transId).transId);
  }

  clear(): void {
    this.transactions.clear();
  }

  /** Queues a command; the caller has already checked that its URI is registered. */
  enlist(transId: string, command: Omit<TransactionCommand, 'commandId' | 'evalOrder'>): { transaction: Transaction; command: TransactionCommand } {
    const transaction = this.get(transId);
    if (transaction.state !== 'STARTED') {
      throw new IcrError(400, `Transaction ${transId} is in state ${transaction.state} and cannot accept commands.`, API_ERROR.objectLookup);
    }
    const queued: TransactionCommand = { ...command, commandId: transaction.nextCommandId++, evalOrder: transaction.commands.length + 1 };
    transaction.commands.push(queued);
    return { transaction, command: queued };
  }

  /**
   * Applies every command, in evalOrder, to a copy of the config; the copy replaces the live config
   * only if all succeed. A failure leaves the config untouched and fails the transaction.
   */
  commit(transId: string, holder: ConfigHolder, validateOnly: boolean): Transaction {
    const transaction = this.get(transId);
    if (transaction.state !== 'STARTED') {
      throw new IcrError(400, `Transaction ${transId} is in state ${transaction.state} and cannot be committed.`, API_ERROR.transaction);
    }
    if (transaction.commands.length === 0) {
      throw new IcrError(400, `transaction failed:Transaction ${transId} has no commands.`, API_ERROR.transaction);
    }
    const started = this.now();
    transaction.state = 'VALIDATING';
    transaction.validateOnly = validateOnly;
    const draft = cloneConfig(holder.config);
    try {
      for (const command of [...transaction.commands].sort((a, b) => a.evalOrder - b.evalOrder)) {
        executeLtm(draft, { method: command.method, path: command.path, query: new URLSearchParams(command.query), body: command.body });
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.finish(transaction, 'FAILED', started, reason);
      throw new IcrError(400, `transaction failed:${reason}`, API_ERROR.transaction);
    }
    if (!validateOnly) holder.config = settleDraft(draft);
    this.finish(transaction, 'COMPLETED', started, '');
    return transaction;
  }

  private finish(transaction: Transaction, state: TransactionState, started: number, failureReason: string): void {
    transaction.state = state;
    transaction.failureReason = failureReason;
    transaction.executionTimeMs = this.now() - started;
    transaction.expiresAtMs = this.now() + FINISHED_RETENTION_MS;
  }

  removeCommand(transaction: Transaction, commandId: string): void {
    const index = transaction.commands.findIndex((command) => String(command.commandId) === commandId);
    if (index < 0) throw transactionNotFound(`${transaction.transId} command ${commandId}`);
    transaction.commands.splice(index, 1);
  }
}

export function renderTransaction(transaction: Transaction): Record<string, unknown> {
  return {
    transId: transaction.transId,
    state: transaction.state,
    timeoutSeconds: transaction.timeoutSeconds,
    asyncExecution: false,
    validateOnly: transaction.validateOnly,
    executionTimeout: EXECUTION_TIMEOUT_SECONDS,
    executionTime: Math.round(transaction.executionTimeMs / 1000),
    failureReason: transaction.failureReason,
    kind: 'tm:transactionstate',
    selfLink: selfLink(`/mgmt/tm/transaction/${transaction.transId}`),
  };
}

/** What an enlisted request gets back instead of the object: the queued command. */
export function renderCommand(transaction: Transaction, command: TransactionCommand): Record<string, unknown> {
  return {
    method: command.method,
    uri: `https://localhost${command.path}${command.query ? `?${command.query}` : ''}`,
    ...(command.body === undefined ? {} : { body: command.body }),
    evalOrder: command.evalOrder,
    commandId: command.commandId,
    kind: 'tm:transaction:commandsstate',
    selfLink: selfLink(`/mgmt/tm/transaction/${transaction.transId}/commands/${command.commandId}`),
  };
}
