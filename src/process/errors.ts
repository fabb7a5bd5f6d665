import { AgentError } from '../errors.js';

/**
 * A dataProcessingOptions entry that can never work, found when the chain is
 * built so that it fails at startup rather than dropping every record.
 */
export class InvalidProcessingOptionError extends AgentError {
  constructor(optionName: string, message: string, hint: string) {
    super('PROCESSING_OPTION_INVALID', `${optionName}: ${message}`, hint);
  }
}
