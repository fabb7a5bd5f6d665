import { AgentError } from '../errors.js';

/**
 * A dataProcessingOptions entry that can never work. The config reader
 * refuses every such entry first (each OptionDefinition's read() runs the
 * same checks), so this is a second line of defence; its code starts with
 * CONFIG so that, should it ever reach the command line, it exits 2 like
 * every other start-up configuration error.
 */
export class InvalidProcessingOptionError extends AgentError {
  constructor(optionName: string, message: string, hint: string) {
    super('CONFIG_PROCESSING_OPTION_INVALID', `${optionName}: ${message}`, hint);
  }
}
