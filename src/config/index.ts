export { loadConfig, checkConfig, parseConfigText, defaultConfigPath, DROP_IN_DIR, NEW_CONFIG_PATH, LEGACY_CONFIG_PATH } from './load.js';
export type { ConfigOptions, ConfigSource, CheckResult } from './load.js';
export { ConfigError, formatProblem } from './errors.js';
export type { ConfigProblem } from './errors.js';
export { DEFAULT_CHECKPOINT_FILE } from './agent.js';
export { secretsExposureWarning } from './permissions.js';
export type * from './types.js';
