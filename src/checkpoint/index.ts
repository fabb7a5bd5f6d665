export { CheckpointStore, type CheckpointStoreOptions } from './store.js';
export { CheckpointTracker } from './tracker.js';
export { CheckpointPathError, CheckpointWriteError } from './errors.js';
export type { CheckpointEntry } from './entry.js';
export { CHECKPOINT_FORMAT_VERSION, decodeCheckpoints, encodeCheckpoints, type ImportMark } from './codec.js';
export { CheckpointFormatError } from './errors.js';
