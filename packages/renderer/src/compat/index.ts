// consul-template compatibility: its config files, its command line and its exec mode, mapped onto the renderer.

import { readFileSync } from 'node:fs';
import { loadCtConfigPaths, mergeCtConfigs, type CtConfig } from './ct-config';
import { parseCtCommandLine, type CtCommandLine } from './ct-flags';
import { planCompatConfig, type CompatPlan } from './to-renderer';

export * from './ct-values';
export * from './ct-schema';
export * from './key-locations';
export * from './ct-config';
export * from './exit-codes';
export * from './ct-flags';
export * from './to-renderer';
export * from './exec-supervisor';
export * from './exec-trigger';
export * from './exec-mode';

export interface CompatInvocation {
  commandLine: CtCommandLine;
  /** Files merged in order, then the flags over them. */
  config: CtConfig;
  plan: CompatPlan;
}

/**
 * The entry point: consul-template's argv -> the renderer's settings. Throws CtFlagError (exit 13) for a bad
 * flag, CtConfigError (exit 15) for a bad file; the result's rendererConfig still goes through
 * resolveRendererConfig, whose ConfigError is exit 15 as well.
 */
export async function loadCompatInvocation(argv: readonly string[], options: { cwd?: string; read?: (file: string) => string } = {}): Promise<CompatInvocation> {
  const commandLine = parseCtCommandLine(argv);
  const files = await loadCtConfigPaths(commandLine.configPaths, options.read ?? ((f) => readFileSync(f, 'utf8')));
  const config = mergeCtConfigs(files, commandLine.flagConfig);
  // -template-error-fatal on the command line overrides every template's error_fatal (cli.go loadConfigs).
  if (commandLine.flagConfig.template_error_fatal !== undefined) {
    for (const t of config.template ?? []) t.error_fatal = commandLine.flagConfig.template_error_fatal;
  }
  const plan = planCompatConfig(config, { cwd: options.cwd });
  if (commandLine.once) plan.rendererConfig.once = true;
  if (commandLine.dry) plan.rendererConfig.dryRun = true;
  return { commandLine, config, plan };
}
