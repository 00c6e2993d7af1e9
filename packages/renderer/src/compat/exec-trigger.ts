// When exec mode starts or reloads its child, decided from each render pass (consul-template's runner.go). Pure.

/** A template's outcome in one render pass, in the renderer's words. */
export interface TemplatePassOutcome {
  /** The template's identity (its destination). */
  id: string;
  /**
   * `written`: new bytes went live (consul-template's DidRender); `unchanged`: a complete render equal to the file
   * on disk (WouldRender without DidRender: counts as rendered for the start, GH-1000); `pending`: not rendered
   * (dependencies missing, quiescence, held by a guard, refused by validation).
   */
  result: 'written' | 'unchanged' | 'pending';
}

export type ExecAction = 'start' | 'reload' | 'none';

/**
 * consul-template's order: a pass that wrote something reloads a running child; once every template has rendered
 * at least once, the child is started (the first complete pass starts it and does not also reload it).
 */
export class ExecTrigger {
  private readonly rendered = new Set<string>();
  private started = false;

  constructor(private readonly templateIds: readonly string[]) {}

  afterPass(outcomes: readonly TemplatePassOutcome[]): ExecAction {
    for (const o of outcomes) if (o.result !== 'pending') this.rendered.add(o.id);
    if (this.started) return outcomes.some((o) => o.result === 'written') ? 'reload' : 'none';
    if (this.templateIds.every((id) => this.rendered.has(id))) {
      this.started = true;
      return 'start';
    }
    return 'none';
  }

  /** A restart of the renderer's config (SIGHUP) starts from scratch, as consul-template builds a new runner. */
  get childStarted(): boolean {
    return this.started;
  }
}
