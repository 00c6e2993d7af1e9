// What both command lines (the renderer's own and consul-template's) do the same way: -once's report, the ops port,
// a reload that keeps the last good configuration.

import { errorMessage, startOpsServer, type Logger, type OpsServer } from '@consul-sidecars/core';
import type { RendererConfig } from './config';
import type { OnceReport, Runner } from './runner';

/** One log line per template after -once: `template done`, or `template not rendered` with why. */
export function logOnceReport(logger: Logger, report: OnceReport): void {
  for (const t of report.templates) {
    const line = { destination: t.destination, status: t.status, reason: t.reason, detail: t.detail, missing: t.missing };
    if (t.status === 'ok') logger.info(line, 'template done');
    else logger.error(line, 'template not rendered');
  }
}

/**
 * /metrics and /health on the configured loopback port, answering for whichever runner `runner()` gives (a reload
 * replaces it; every runner shares the first one's metrics); undefined when disabled, null when it cannot listen (logged).
 */
export async function serveOps(runner: () => Runner, config: RendererConfig, logger: Logger): Promise<OpsServer | undefined | null> {
  if (!config.ops.enabled) return undefined;
  try {
    const ops = await startOpsServer({ registry: runner().metrics.registry, health: () => runner().health(), host: config.ops.host, port: config.ops.port });
    logger.info({ url: ops.url }, 'serving /metrics and /health');
    return ops;
  } catch (err) {
    logger.fatal({ err: errorMessage(err), port: config.ops.port }, 'cannot serve /metrics and /health');
    return null;
  }
}

/**
 * The reload signal's first half: read the configuration again and build what runs it. Undefined when that fails
 * (logged with the error, which names the file, line and key): the caller keeps the running configuration.
 */
export async function loadOrKeep<T>(logger: Logger, load: () => Promise<T> | T): Promise<T | undefined> {
  try {
    return await load();
  } catch (err) {
    const details = (err as { details?: { field?: string; line?: number; source?: string } }).details ?? {};
    logger.error({ err: errorMessage(err), field: details.field, file: details.source, line: (err as { line?: number }).line }, 'reload: the new configuration is not usable; keeping the running one');
    return undefined;
  }
}
