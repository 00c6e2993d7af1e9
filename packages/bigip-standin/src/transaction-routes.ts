// HTTP mapping of /mgmt/tm/transaction: create, read, commit (PATCH state VALIDATING), delete, commands.
import { API_ERROR, framework, IcrError, rest } from './errors';
import type { LtmReply } from './ltm-routes';
import { requireObjectBody } from './payload-validation';
import { renderCommand, renderTransaction, type ConfigHolder, type TransactionStore } from './transactions';
import { selfLink } from './bigip-version';

const ITEM = '/transaction';

function parseCommit(body: unknown): { validateOnly: boolean } {
  const fields = requireObjectBody(body);
  for (const [key, value] of Object.entries(fields)) {
    if (key !== 'state' && key !== 'validateOnly') throw framework.unexpectedProperty(ITEM, key, value);
  }
  if (fields.state !== 'VALIDATING') throw framework.invalidValue(ITEM, 'state', fields.state, '"VALIDATING"');
  if (fields.validateOnly !== undefined && typeof fields.validateOnly !== 'boolean') throw framework.invalidValue(ITEM, 'validateOnly', fields.validateOnly, 'a boolean');
  return { validateOnly: fields.validateOnly === true };
}

export function handleTransactionRequest(
  transactions: TransactionStore,
  holder: ConfigHolder,
  request: { method: string; path: string; body: unknown; coordinationId: string | undefined },
): LtmReply {
  const { method, path, body } = request;
  const [transId, sub, commandId, ...extra] = path.replace(/^\/mgmt\/tm\/transaction\/?/, '').split('/').filter(Boolean);
  if (request.coordinationId !== undefined) {
    // Ansible and the PowerShell samples drop the header before committing; a real commit with it fails.
    throw new IcrError(400, 'Requests to /mgmt/tm/transaction must not carry the X-F5-REST-Coordination-Id header: remove it to commit, read or create a transaction.', API_ERROR.transaction);
  }
  const ok = (payload: Record<string, unknown> | undefined): LtmReply => ({ status: 200, body: payload });
  if (extra.length > 0 || (sub !== undefined && sub !== 'commands')) throw rest.uriNotRegistered(path);

  if (transId === undefined) {
    if (method === 'POST') {
      const fields = requireObjectBody(body);
      for (const [key, value] of Object.entries(fields)) throw framework.unexpectedProperty(ITEM, key, value);
      return ok(renderTransaction(transactions.create()));
    }
    if (method === 'GET') {
      const items = transactions.list().map(renderTransaction);
      return ok({ kind: 'tm:transactioncollectionstate', selfLink: selfLink('/mgmt/tm/transaction'), ...(items.length > 0 ? { items } : {}) });
    }
    throw rest.methodNotAllowed(method, path);
  }

  const transaction = transactions.get(transId);
  if (sub === undefined) {
    if (method === 'GET') return ok(renderTransaction(transaction));
    if (method === 'PATCH') return ok(renderTransaction(transactions.commit(transId, holder, parseCommit(body).validateOnly)));
    if (method === 'DELETE') {
      transactions.delete(transId);
      return ok(undefined);
    }
    throw rest.methodNotAllowed(method, path);
  }

  if (commandId === undefined) {
    if (method !== 'GET') throw rest.methodNotAllowed(method, path);
    const items = transaction.commands.map((command) => renderCommand(transaction, command));
    return ok({ kind: 'tm:transaction:commandscollectionstate', selfLink: selfLink(`/mgmt/tm/transaction/${transaction.transId}/commands`), ...(items.length > 0 ? { items } : {}) });
  }
  const command = transaction.commands.find((candidate) => String(candidate.commandId) === commandId);
  if (!command) throw framework.objectNotFound(`/transaction/${transaction.transId}/commands/${commandId}`);
  if (method === 'GET') return ok(renderCommand(transaction, command));
  if (transaction.state !== 'STARTED') throw new IcrError(400, `Transaction ${transId} is in state ${transaction.state}; its commands can no longer change.`, API_ERROR.transaction);
  if (method === 'DELETE') {
    transactions.removeCommand(transaction, commandId);
    transaction.commands.forEach((queued, index) => (queued.evalOrder = index + 1));
    return ok(undefined);
  }
  if (method === 'PATCH') {
    const fields = requireObjectBody(body);
    for (const [key, value] of Object.entries(fields)) if (key !== 'evalOrder') throw framework.unexpectedProperty(`${ITEM}/commands`, key, value);
    const evalOrder = fields.evalOrder;
    if (typeof evalOrder !== 'number' || !Number.isInteger(evalOrder) || evalOrder < 1 || evalOrder > transaction.commands.length) {
      throw framework.invalidValue(`${ITEM}/commands`, 'evalOrder', evalOrder, `an integer from 1 to ${transaction.commands.length}`);
    }
    // Reordering moves the command and renumbers the queue 1..n.
    const ordered = [...transaction.commands].sort((a, b) => a.evalOrder - b.evalOrder).filter((queued) => queued !== command);
    ordered.splice(evalOrder - 1, 0, command);
    ordered.forEach((queued, index) => (queued.evalOrder = index + 1));
    transaction.commands = ordered;
    return ok(renderCommand(transaction, command));
  }
  throw rest.methodNotAllowed(method, path);
}
