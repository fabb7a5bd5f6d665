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
        RoleSessionName: `kinesis-agent-${process.pid}`,
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
