// Exec mode as one piece for the CLI: render passes start/reload the child, signals are routed, the child's exit ends us.

import { EventEmitter } from 'node:events';
import { ExecSupervisor, exitCodeOf, routeSignal, type ChildExit, type ExecSupervisorOptions, type SignalRoute } from './exec-supervisor';
import { ExecTrigger, type TemplatePassOutcome } from './exec-trigger';
import type { SignalName } from './ct-values';
import type { ProcessPlan } from './to-renderer';

export interface ExecModeOptions {
  supervisor: ExecSupervisorOptions;
  /** Destinations of every template: the child starts once each has rendered. */
  templateIds: readonly string[];
  process: Pick<ProcessPlan, 'killSignal' | 'reloadSignal'>;
}

/**
 * Emits `exit` with the code the renderer must exit with when the child ends on its own
 * (consul-template's ErrChildDied).
 */
export class ExecMode extends EventEmitter {
  readonly supervisor: ExecSupervisor;
  private trigger: ExecTrigger;

  constructor(private readonly options: ExecModeOptions) {
    super();
    this.supervisor = new ExecSupervisor(options.supervisor);
    this.trigger = new ExecTrigger(options.templateIds);
    this.supervisor.on('exit', (exit: ChildExit) => this.emit('exit', exitCodeOf(exit), exit));
  }

  /** After each render pass of the runner. */
  async afterPass(outcomes: readonly TemplatePassOutcome[]): Promise<void> {
    const action = this.trigger.afterPass(outcomes);
    if (action === 'start') await this.supervisor.start();
    else if (action === 'reload') await this.supervisor.reload();
  }

  /**
   * A signal the renderer received. Forwarded signals are handled here; `reload-config` and `stop` are returned for
   * the CLI to act on (re-read config and templates / stop the runner, then `stop(true)` here and exit 12).
   */
  async onSignal(signal: SignalName): Promise<SignalRoute> {
    const route = routeSignal(signal, this.options.process, this.supervisor.running);
    if (route.action === 'forward') await this.supervisor.signal(route.signal);
    return route;
  }

  /** The renderer is stopping: the child goes too (kill signal, then SIGKILL after kill_timeout). */
  stop(immediately = true): Promise<void> {
    return this.supervisor.stop(immediately);
  }
}
