import { AgentError } from '../errors.js';

/** http.listen names an address this process cannot listen on. */
export class StatusListenError extends AgentError {
  constructor(address: string, reason: string, options?: { cause?: unknown }) {
    super(
      'HTTP_LISTEN',
      `cannot listen on ${address} for /metrics, /healthz and /status: ${reason}`,
      'choose a free port in http.listen (e.g. 127.0.0.1:9090), or remove http to run without the status server',
      options,
    );
  }
}

/** `kinesis-agent status` found neither a running agent nor a checkpoint file. */
export class StatusUnavailableError extends AgentError {
  constructor(message: string, hint: string) {
    super('STATUS_UNAVAILABLE', message, hint);
  }
}
