export { CheckpointStore, type CheckpointStoreOptions } from './store.js';
export { CheckpointTracker } from './tracker.js';
export { CheckpointPathError } from './errors.js';
export type { CheckpointEntry } from './entry.js';
