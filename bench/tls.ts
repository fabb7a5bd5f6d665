/**
 * The bench endpoint's TLS material, made once under `.bench-data/tls/` with
 * the `openssl` command line: a CA (`ca.pem`, what the agent and Fluent Bit
 * are told to trust) and a server certificate for 127.0.0.1 and localhost
 * signed by it (`server.pem`, `server.key`). The clients verify it as they
 * would a real service's, so the handshake and verification cost is paid.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchTls {
  /** The CA certificate (PEM) clients trust. */
  ca: string;
  /** The server's certificate (PEM), signed by the CA. */
  cert: string;
  /** The server's private key (PEM). */
  key: string;
}

/** Makes the CA and server certificate in `dir` unless they are there; needs `openssl` on PATH. */
export function ensureTls(dir: string): BenchTls {
  const files: BenchTls = { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
  if (existsSync(files.ca) && existsSync(files.cert) && existsSync(files.key)) return files;
  mkdirSync(dir, { recursive: true });
  const caKey = join(dir, 'ca.key');
  const csr = join(dir, 'server.csr');
  const ext = join(dir, 'server.ext');
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', caKey, '-out', files.ca, '-days', '3650', '-subj', '/CN=kinesis-agent bench CA']);
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', files.key, '-out', csr, '-subj', '/CN=127.0.0.1']);
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n');
  run(['x509', '-req', '-in', csr, '-CA', files.ca, '-CAkey', caKey, '-CAcreateserial', '-out', files.cert, '-days', '3650', '-extfile', ext]);
  return files;
}
