import { readFileSync } from 'node:fs';

/**
 * The version from package.json, read once. The bundled binary (issue 7)
 * replaces this at build time through the KINESIS_AGENT_VERSION define.
 */
declare const KINESIS_AGENT_VERSION: string | undefined;

function readVersion(): string {
  if (typeof KINESIS_AGENT_VERSION === 'string') return KINESIS_AGENT_VERSION;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export const VERSION = readVersion();
