// A template's text: its source file, or its inline contents.

import { readFileSync } from 'node:fs';
import { ConfigError, errorMessage } from '@consul-sidecars/core';
import type { TemplateConfig } from './config';

export function templateText(config: TemplateConfig): { text: string; name: string } {
  if (config.contents !== undefined) return { text: config.contents, name: `inline:${config.destination}` };
  const source = config.source ?? '';
  try {
    return { text: readFileSync(source, 'utf8'), name: source };
  } catch (err) {
    throw new ConfigError(`template source ${source}: ${errorMessage(err)}`, { field: 'source', value: config.source });
  }
}
