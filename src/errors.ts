/**
 * Errors a user can cause and fix. They carry a stable code and a hint, and
 * the CLI prints them as one line without a stack trace.
 */
export class AgentError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.hint = hint;
  }

  /** One line for a terminal or a log: message, then the hint. */
  toLine(): string {
    return this.hint ? `${this.message} (hint: ${this.hint})` : this.message;
  }
}

export function isAgentError(err: unknown): err is AgentError {
  return err instanceof AgentError;
}
