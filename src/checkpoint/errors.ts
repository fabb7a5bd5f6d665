import { AgentError } from '../errors.js';

/** The checkpoint file can never be written where it is configured. */
export class CheckpointPathError extends AgentError {
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(
      // A CONFIG_ code: the user must change the configuration (exit 2, no restart loop).
      'CONFIG_CHECKPOINT_PATH',
      `checkpointFile ${path} cannot be written: ${reason}`,
      'set checkpointFile to a file path in a writable directory, or remove it to use the default',
      options,
    );
  }
}
