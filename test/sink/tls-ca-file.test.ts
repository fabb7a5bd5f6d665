import { describe, expect, it } from 'vitest';
import { loadConfig, type AgentConfig } from '../../src/config/index.js';
import { TEST_CA_FILE } from '../servers/aws-protocol-server.ts';
import { tempConfigDir } from '../config/helpers.ts';
import { makeRecords, pushAll, RecordingAcker, until, useProtocolServer } from './helpers.ts';

/** The connection settings a real config file with `tls.caFile` loads into. */
async function connectionWithCaFile(caFile: string): Promise<AgentConfig['connection']> {
  const t = await tempConfigDir({ 'agent.yaml': `tls.caFile: ${caFile}\nflows:\n  - filePattern: /var/log/x.log\n    kinesisStream: s\n` });
  try {
    return (await loadConfig(t.path('agent.yaml'), { env: {} })).connection;
  } finally {
    await t.cleanup();
  }
}

describe('tls.caFile: a CA the endpoint certificate is verified against (TLS-inspecting proxies, private endpoints)', () => {
  const aws = useProtocolServer({ kinesis: { test: 2 }, firehose: ['fh'], tls: 'trusted', per: 'suite' });

  it('Kinesis over HTTP/2 and TLS is delivered when the CA is given, and the certificate is verified', async () => {
    const connection = await connectionWithCaFile(TEST_CA_FILE);
    expect(connection.caCertificates).toContain('-----BEGIN CERTIFICATE-----');
    const acker = new RecordingAcker();
    const { delivery } = aws.start({ maxBufferSizeRecords: 50 }, { agent: { connection } });
    await pushAll(delivery, makeRecords(500, acker));
    expect(await until(() => acker.acked.length === 500)).toBe(true);
    await delivery.close(1000);
    const calls = aws.server.calls('PutRecords');
    expect(calls.length).toBeGreaterThanOrEqual(10);
    expect(calls.every((c) => c.headers[':scheme'] === 'https')).toBe(true);
  });

  it('Firehose over HTTPS (HTTP/1.1) is delivered with the CA given', async () => {
    const connection = await connectionWithCaFile(TEST_CA_FILE);
    const acker = new RecordingAcker();
    const { delivery } = aws.start({ destination: { kind: 'firehose', streamName: 'fh' } }, { agent: { connection } });
    await pushAll(delivery, makeRecords(200, acker));
    expect(await until(() => acker.acked.length === 200)).toBe(true);
    await delivery.close(1000);
    expect(aws.server.deliveryStreams.get('fh')!.length).toBe(200);
  });

  it('without the CA the certificate is refused: nothing reaches the server, nothing is acknowledged', async () => {
    const before = aws.server.calls('PutRecords').length;
    const acker = new RecordingAcker();
    const { delivery } = aws.start();
    await pushAll(delivery, makeRecords(20, acker));
    expect(await until(() => acker.acked.length > 0, 1500)).toBe(false);
    await delivery.close(200);
    expect(aws.server.calls('PutRecords').length).toBe(before);
  });
});

describe('tls.caFile in the config', () => {
  it('is read relative to the config file, and a file without a certificate is a problem naming the key', async () => {
    const t = await tempConfigDir({
      'agent.yaml': 'tls.caFile: not-a-cert.pem\nflows:\n  - filePattern: /var/log/x.log\n    kinesisStream: s\n',
      'not-a-cert.pem': 'hello\n',
    });
    try {
      await expect(loadConfig(t.path('agent.yaml'), { env: {} })).rejects.toThrow(/tls\.caFile.*holds no PEM certificate/s);
    } finally {
      await t.cleanup();
    }
  });

  it('a missing file is a problem naming the key and the path', async () => {
    await expect(connectionWithCaFile('/nonexistent/ca.pem')).rejects.toThrow(/tls\.caFile.*cannot read \/nonexistent\/ca\.pem: ENOENT/s);
  });
});
