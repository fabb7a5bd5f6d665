import { AgentError } from '../errors.js';
import { CHECKPOINT_FORMAT_VERSION } from './codec.js';

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

/** The checkpoint file is one this agent must not read or overwrite. */
export class CheckpointFormatError extends AgentError {
  constructor(path: string, problem: 'newer' | 'sqlite', version?: number) {
    super(
      // A CONFIG_ code: exit 2, so that systemd does not restart into the same refusal.
      problem === 'newer' ? 'CONFIG_CHECKPOINT_VERSION' : 'CONFIG_CHECKPOINT_SQLITE',
      problem === 'newer'
        ? `checkpoint file ${path} has format version ${String(version)}, written by a newer kinesis-agent (this one reads up to ${String(CHECKPOINT_FORMAT_VERSION)})`
        : `checkpointFile ${path} is the Kinesis Agent's SQLite checkpoint database`,
      problem === 'newer'
        ? 'run the newer kinesis-agent again, or move the file away to start without checkpoints'
        : 'set checkpointFile to a new path for this agent; set importCheckpointsFrom to this database to take over its positions',
    );
  }
}

/** The last write, at stop, failed: what was acknowledged since the previous write is sent again at the next start. */
export class CheckpointWriteError extends AgentError {
  constructor(path: string, code: string) {
    super(
      'CHECKPOINT_WRITE',
      `cannot write the checkpoint file ${path} at stop (${code}): records acknowledged since its last write will be sent again at the next start`,
      'make its directory writable (permissions, space, a read-only or immutable file system)',
    );
  }
}
