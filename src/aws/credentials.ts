/**
 * Where the agent's AWS identity comes from: the config's static keys, else
 * the SDK's default chain (environment, profile, SSO, web identity,
 * container, IMDSv2), optionally assuming `assumeRoleARN` through STS. The
 * SDK refreshes expiring credentials itself. Credentials are never logged.
 */
import { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AgentConfig } from '../config/types.js';
import { requestHandlerFor, proxyFor } from './transport.js';

export type AwsCredentialIdentityProvider = ReturnType<typeof fromNodeProviderChain>;

/**
 * The session name and length the Kinesis Agent asks STS for: IAM policies
 * and CloudTrail queries written for it (`sts:RoleSessionName`,
 * `aws:userid` ending in `:AWSKinesisAgent`) keep matching. Source:
 * awslabs/amazon-kinesis-agent, src/com/amazon/kinesis/streaming/agent/
 * config/AgentConfiguration.java (ASSUME_ROLE_SESSION,
 * DEFAULT_ASSUME_ROLE_DURATION_SECONDS = one hour), used in AgentContext.java.
 */
export const ASSUME_ROLE_SESSION_NAME = 'AWSKinesisAgent';
export const ASSUME_ROLE_DURATION_SECONDS = 3600;

// One provider per agent config, shared by its flows: one AssumeRole, one refresh.
const cache = new WeakMap<AgentConfig, AwsCredentialIdentityProvider>();

export function credentialsFor(agent: AgentConfig, region: string): AwsCredentialIdentityProvider {
  const known = cache.get(agent);
  if (known) return known;
  const { accessKeyId, secretAccessKey, sessionToken, assumeRoleARN, assumeRoleExternalId } = agent.credentials;
  const base: AwsCredentialIdentityProvider =
    accessKeyId && secretAccessKey
      ? () => Promise.resolve({ accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) })
      : fromNodeProviderChain();
  let provider = base;
  if (assumeRoleARN) {
    const endpoint = agent.sts.endpoint;
    provider = fromTemporaryCredentials({
      masterCredentials: base,
      params: {
        RoleArn: assumeRoleARN,
        RoleSessionName: ASSUME_ROLE_SESSION_NAME,
        DurationSeconds: ASSUME_ROLE_DURATION_SECONDS,
        ...(assumeRoleExternalId ? { ExternalId: assumeRoleExternalId } : {}),
      },
      clientConfig: {
        region,
        ...(endpoint ? { endpoint } : {}),
        requestHandler: requestHandlerFor({ endpoint, defaultHttp2: false, connection: agent.connection, proxy: proxyFor(agent) }),
      },
    });
  }
  cache.set(agent, provider);
  return provider;
}
