import { statSync } from 'node:fs';
import type { AgentConfig } from './types.js';

/**
 * A config file that holds secret keys should be readable by its owner (and
 * the service's group) only. Returns a warning to log when others can read
 * it, or undefined. The secret itself is never part of the message.
 */
export function secretsExposureWarning(config: AgentConfig): string | undefined {
  const { secretAccessKey, sessionToken } = config.credentials;
  if (!secretAccessKey && !sessionToken) return undefined;
  let mode: number;
  try {
    mode = statSync(config.configFile).mode;
  } catch {
    return undefined;
  }
  if ((mode & 0o004) === 0) return undefined;
  return (
    `${config.configFile} holds awsSecretAccessKey or awsSessionToken and any user can read it ` +
    `(mode ${(mode & 0o777).toString(8).padStart(4, '0')}); run chmod 0640 on it, or take the keys ` +
    'from the environment file or an instance role instead'
  );
}
