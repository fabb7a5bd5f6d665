export { FileSource, type FileSourceOptions } from './file-source.js';
export type { TailedFileStatus } from './status.js';
export { Framer, type FramerOptions, type FramerOutput } from './framer.js';
export { PatternSet } from './patterns.js';
export { isCompressedName } from './compressed.js';
export { watchModeFromEnv, type WatchMode } from './watch.js';
export type { FileIdentity } from './identity.js';
