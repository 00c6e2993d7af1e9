// Graceful shutdown on SIGTERM/SIGINT within a deadline, and SIGHUP reloads, for every daemon's main.

import type { Logger } from 'pino';

export interface ShutdownOptions {
  logger: Logger;
  /** Work that stops the daemon; it gets an AbortSignal that fires when the deadline is near. */
  onShutdown: (signal: string) => Promise<void>;
  /** SIGHUP handler, if the daemon reloads its config. */
  onReload?: () => Promise<void> | void;
  /** Hard deadline: after it the process exits with code 1 whatever is still running. */
  timeoutMs?: number;
  /** For tests: what to call instead of process.exit. */
  exit?: (code: number) => void;
}

export interface ShutdownHandle {
  /** Starts shutdown as a signal would (used by --once runs that finish). */
  trigger(reason: string, exitCode?: number): Promise<void>;
  dispose(): void;
}

export function installShutdown(options: ShutdownOptions): ShutdownHandle {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const timeoutMs = options.timeoutMs ?? 5000;
  let stopping: Promise<void> | undefined;

  const trigger = (reason: string, exitCode = 0): Promise<void> => {
    if (stopping) return stopping;
    options.logger.info({ reason }, 'shutting down');
    const deadline = setTimeout(() => {
      options.logger.error({ reason, timeoutMs }, 'shutdown did not finish in time; exiting');
      exit(1);
    }, Math.max(timeoutMs - 250, 100));
    deadline.unref();
    stopping = options
      .onShutdown(reason)
      .then(() => {
        clearTimeout(deadline);
        options.logger.info({ reason }, 'stopped');
        exit(exitCode);
      })
      .catch((err: Error) => {
        clearTimeout(deadline);
        options.logger.error({ err, reason }, 'shutdown failed');
        exit(1);
      });
    return stopping;
  };

  const onTerm = () => void trigger('SIGTERM');
  const onInt = () => void trigger('SIGINT');
  const onHup = () => {
    if (!options.onReload) return;
    options.logger.info('SIGHUP: reloading configuration');
    Promise.resolve(options.onReload()).catch((err: Error) => options.logger.error({ err }, 'reload failed; keeping the last good configuration'));
  };
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  process.on('SIGHUP', onHup);
  return {
    trigger,
    dispose: () => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      process.off('SIGHUP', onHup);
    },
  };
}
