import { ImdsClient, imdsDisabled, resolveImdsEndpoint, type InstanceMetadata } from '../aws/imds.js';
import { parseObjectEntries } from './json-object.js';
import { entriesToJson, layoutJson, type JsonMember } from './json-writer.js';
import type { ProcessingOption } from './options.js';
import { lineText, RecordConversionError, type Processor, type ProcessorContext } from './processor.js';

export type AddEc2MetadataOption = Extract<ProcessingOption, { optionName: 'ADDEC2METADATA' }>;

const RETRY_AFTER_FAILURE_MS = 60_000;

/**
 * ADDEC2METADATA: the instance's identity (and tags, when asked) added to a
 * JSON object record, with the Kinesis Agent's keys and order: privateIp,
 * availabilityZone, instanceId, instanceType, accountId, amiId, region,
 * metadataTimestamp, tags. A key the record already has is overwritten in
 * place. A record that is not a JSON object is a conversion error.
 *
 * process() never waits: it uses the last metadata fetched, refreshed in the
 * background every metadataTTL seconds. Without metadata (off EC2) records
 * pass through unchanged, after one warning.
 */
export function createAddEc2Metadata(opt: AddEc2MetadataOption, ctx: ProcessorContext): Processor {
  const { log } = ctx;
  const explicit = ctx.ec2MetadataEndpoint;
  const endpoint = resolveImdsEndpoint(explicit);
  const disabled = explicit === undefined && imdsDisabled();
  const client = new ImdsClient(endpoint);
  const abort = new AbortController();
  const ttlMs = Math.max(1, opt.metadataTTL) * 1000;
  let entries: JsonMember[] | undefined;
  let warned = false;
  let tagsWarned = false;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const refresh = async (): Promise<void> => {
    try {
      const md = await client.fetchMetadata(opt.tags, abort.signal);
      if (closed) return;
      entries = metadataEntries(md, new Date(), opt.tags);
      warned = false;
      if (md.tagsProblem && !tagsWarned) {
        tagsWarned = true;
        log.warn({ endpoint }, `ADDEC2METADATA: ${md.tagsProblem}; records get "tags": {} (hint: allow tags in instance metadata on the instance)`);
      }
      log.debug({ endpoint }, 'ADDEC2METADATA: instance metadata refreshed');
      schedule(ttlMs);
    } catch (err) {
      if (closed) return;
      if (!warned) {
        warned = true;
        log.warn(
          { endpoint, err: (err as Error).message },
          entries
            ? 'ADDEC2METADATA: cannot refresh instance metadata; records keep the last metadata fetched'
            : 'ADDEC2METADATA: no instance metadata (not on EC2?); records pass through unchanged',
        );
      }
      schedule(Math.min(ttlMs, RETRY_AFTER_FAILURE_MS));
    }
  };
  const schedule = (ms: number): void => {
    timer = setTimeout(() => void refresh(), ms);
    timer.unref();
  };

  let first: Promise<void>;
  if (disabled) {
    log.warn('ADDEC2METADATA: AWS_EC2_METADATA_DISABLED is true; records pass through unchanged');
    first = Promise.resolve();
  } else {
    first = refresh();
  }

  return {
    process(data: Buffer): Buffer {
      const md = entries;
      if (md === undefined) return data;
      const record = parseObjectEntries(lineText(data));
      if (record === null) throw new RecordConversionError('record is not a JSON object');
      for (const e of md) {
        const at = record.findIndex((r) => r.key === e.key);
        if (at === -1) record.push(e);
        else record[at] = e;
      }
      return Buffer.from(layoutJson(entriesToJson(record), opt.jsonFormat) + '\n', 'utf8');
    },
    ready: () => first,
    close(): void {
      closed = true;
      if (timer) clearTimeout(timer);
      abort.abort();
    },
  };
}

/** `2024-05-01T12:00:00+0000`: the agent's "yyyy-MM-dd'T'HH:mm:ssZ", written in UTC. */
export function metadataTimestamp(d: Date): string {
  return d.toISOString().slice(0, 19) + '+0000';
}

function metadataEntries(md: InstanceMetadata, at: Date, withTags: boolean): JsonMember[] {
  const id = md.identity;
  const str = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : 'null');
  const entries: JsonMember[] = [
    { key: 'privateIp', raw: str(id.privateIp) },
    { key: 'availabilityZone', raw: str(id.availabilityZone) },
    { key: 'instanceId', raw: str(id.instanceId) },
    { key: 'instanceType', raw: str(id.instanceType) },
    { key: 'accountId', raw: str(id.accountId) },
    { key: 'amiId', raw: str(id.imageId) },
    { key: 'region', raw: str(id.region) },
    { key: 'metadataTimestamp', raw: JSON.stringify(metadataTimestamp(at)) },
  ];
  if (withTags) {
    const tags = (md.tags ?? []).map(([key, value]) => ({ key, raw: JSON.stringify(value) }));
    entries.push({ key: 'tags', raw: entriesToJson(dedupeLast(tags)) });
  }
  return entries;
}

function dedupeLast(entries: JsonMember[]): JsonMember[] {
  const out: JsonMember[] = [];
  for (const e of entries) {
    const at = out.findIndex((x) => x.key === e.key);
    if (at === -1) out.push(e);
    else out[at] = e;
  }
  return out;
}
