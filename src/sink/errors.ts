/**
 * What a failed call or a failed entry means for delivery: wait a little
 * (throttled), wait and retry (transient), or wait for the user to fix
 * something (user errors, with a hint naming the key or IAM permission).
 * Nothing here ever means "drop the data".
 */
import { AgentError } from '../errors.js';
import { destinationOf, type DestinationKind } from './destinations.js';
import { MalformedResponseError } from './malformed-response.js';

export { MalformedResponseError };

export interface DestinationContext {
  kind: DestinationKind;
  streamName: string;
  /** The stream's ARN when the config gave one and the put call takes it (descriptor `arn.sentAsArn`; Kinesis: StreamARN instead of StreamName). */
  streamArn?: string;
  region: string;
  /** Index of the flow in flows[], for naming its keys. */
  flowIndex: number;
}

function streamKey(ctx: DestinationContext): string {
  return `flows[${ctx.flowIndex}].${destinationOf(ctx.kind).streamKey}`;
}

function permissions(ctx: DestinationContext): string {
  const { put, also } = destinationOf(ctx.kind).permissions;
  return also ? `${put} (and ${also})` : put;
}

function what(ctx: DestinationContext): string {
  return `${destinationOf(ctx.kind).streamNoun} \`${ctx.streamName}\``;
}

/** A delivery failure only the user can fix; delivery keeps retrying until they do. */
export class DeliveryUserError extends AgentError {}

export class DestinationNotFoundError extends DeliveryUserError {
  constructor(ctx: DestinationContext, cause?: unknown) {
    super(
      'DESTINATION_NOT_FOUND',
      `${what(ctx)} does not exist in ${ctx.region}`,
      `create it, or fix ${streamKey(ctx)} or the region (${ctx.kind}.region / ${ctx.kind}.endpoint); delivery resumes by itself once it exists`,
      { cause },
    );
  }
}

export class DestinationAccessDeniedError extends DeliveryUserError {
  constructor(ctx: DestinationContext, detail: string, cause?: unknown) {
    super(
      'DESTINATION_ACCESS_DENIED',
      `access denied writing to ${what(ctx)}: ${detail}`,
      `grant ${permissions(ctx)} on it to the agent's IAM identity (or assumeRoleARN); delivery resumes by itself`,
      { cause },
    );
  }
}

export class InvalidCredentialsError extends DeliveryUserError {
  constructor(ctx: DestinationContext, detail: string, cause?: unknown) {
    super(
      'INVALID_CREDENTIALS',
      `AWS rejected the agent's credentials writing to ${what(ctx)}: ${detail}`,
      'check awsAccessKeyId / awsSecretAccessKey (or the environment, profile or instance role they come from), the clock, and the region',
      { cause },
    );
  }
}

export class MissingCredentialsError extends DeliveryUserError {
  constructor(ctx: DestinationContext, detail: string, cause?: unknown) {
    super(
      'NO_CREDENTIALS',
      `no AWS credentials to write to ${what(ctx)}: ${detail}`,
      'set awsAccessKeyId and awsSecretAccessKey, or give the host a role, profile or AWS_* environment variables',
      { cause },
    );
  }
}

export class EncryptionKeyError extends DeliveryUserError {
  constructor(ctx: DestinationContext, code: string, detail: string, cause?: unknown) {
    super(
      'DESTINATION_KMS_ERROR',
      `${what(ctx)} cannot encrypt records (${code}): ${detail}`,
      `enable the stream's KMS key and grant kms:GenerateDataKey on it to the agent's IAM identity`,
      { cause },
    );
  }
}

export class InvalidRequestError extends DeliveryUserError {
  constructor(ctx: DestinationContext, code: string, detail: string, cause?: unknown) {
    super(
      'DESTINATION_REJECTED_REQUEST',
      `${what(ctx)} rejected a request (${code}): ${detail}`,
      code === 'SerializationException' && ctx.kind === 'kinesis'
        ? // The service could not read the body: Kinesis bodies go in CBOR (sink/kinesis/cbor-body.ts), which a compatible service may not read.
          `check ${ctx.kind}.endpoint: a Kinesis-compatible service that reads only JSON bodies needs AWS_CBOR_DISABLE=true in the agent's environment`
        : `check ${streamKey(ctx)} and the endpoint; if records are too large, lower maxBufferSizeBytes`,
      { cause },
    );
  }
}

export type FailureKind = 'throttle' | 'transient' | 'user';

export interface Failure {
  kind: FailureKind;
  /** A short stable name: the AWS error code, a Node error code, or an HTTP status. */
  code: string;
  message: string;
  /** Set for user errors. */
  userError?: DeliveryUserError;
  /** What to check, for failures that are retried but may well be the user's to fix. */
  hint?: string;
}

const THROTTLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'LimitExceededException',
  'ServiceUnavailableException',
  'ServiceUnavailable',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
]);

const NOT_FOUND = new Set(['ResourceNotFoundException']);
const DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'KMSAccessDeniedException']);
const BAD_CREDENTIALS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'IncompleteSignature',
  'MissingAuthenticationToken',
]);
const KMS = new Set(['KMSDisabledException', 'KMSInvalidStateException', 'KMSNotFoundException', 'KMSOptInRequired', 'KMSThrottlingException']);
const REJECTED = new Set(['ValidationException', 'InvalidArgumentException', 'SerializationException']);

/** Classifies an AWS error code (of a whole call, or of one entry in an answer). */
export function classifyCode(code: string, message: string, ctx: DestinationContext, cause?: unknown): Failure {
  if (code === 'KMSThrottlingException') return { kind: 'throttle', code, message };
  if (THROTTLE.has(code)) return { kind: 'throttle', code, message };
  if (NOT_FOUND.has(code)) return { kind: 'user', code, message, userError: new DestinationNotFoundError(ctx, cause) };
  if (code.startsWith('KMS') && DENIED.has(code)) {
    return { kind: 'user', code, message, userError: new EncryptionKeyError(ctx, code, message, cause) };
  }
  if (DENIED.has(code)) return { kind: 'user', code, message, userError: new DestinationAccessDeniedError(ctx, message, cause) };
  if (BAD_CREDENTIALS.has(code)) return { kind: 'user', code, message, userError: new InvalidCredentialsError(ctx, message, cause) };
  if (KMS.has(code)) return { kind: 'user', code, message, userError: new EncryptionKeyError(ctx, code, message, cause) };
  if (REJECTED.has(code)) return { kind: 'user', code, message, userError: new InvalidRequestError(ctx, code, message, cause) };
  return { kind: 'transient', code, message };
}

interface SdkLikeError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Classifies whatever a whole call threw: an AWS error, a network error, a timeout, a parse error. */
export function classifyError(err: unknown, ctx: DestinationContext): Failure {
  const e = (err ?? {}) as SdkLikeError;
  const message = String(e.message ?? err);
  if (err instanceof MalformedResponseError) return { kind: 'transient', code: 'MalformedResponse', message };
  if (e.name === 'CredentialsProviderError' || e.name === 'ProviderError') {
    return { kind: 'user', code: 'NoCredentials', message, userError: new MissingCredentialsError(ctx, message, err) };
  }
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? 'Error';
  if (status !== undefined && status >= 400 && status < 500) {
    const byCode = classifyCode(name, message, ctx, err);
    if (byCode.kind !== 'transient') return byCode;
    if (status === 429) return { kind: 'throttle', code: name, message };
    if (status === 403) return { kind: 'user', code: name, message, userError: new DestinationAccessDeniedError(ctx, message, err) };
    return byCode;
  }
  if (status !== undefined && status >= 500) {
    return { kind: status === 503 ? 'throttle' : 'transient', code: THROTTLE.has(name) ? name : `HTTP ${status}`, message };
  }
  const byCode = classifyCode(name, message, ctx, err);
  if (byCode.kind !== 'transient') return byCode;
  // Network and timeout errors: retried without end. DNS and refused
  // connections are as often a wrong endpoint as an outage; say what to check.
  const code = e.code ?? name;
  if (code === 'ENOTFOUND' || code === 'ECONNREFUSED' || code === 'CERT_HAS_EXPIRED' || code.startsWith('ERR_TLS') || code.includes('CERT')) {
    return { kind: 'transient', code, message, hint: `check ${ctx.kind}.endpoint / ${ctx.kind}.region, DNS, proxy and network` };
  }
  return { kind: 'transient', code, message };
}
