import { ImdsClient, imdsDisabled, resolveImdsEndpoint, type InstanceMetadata } from '../aws/imds.js';
import { parseObjectEntries } from './json-object.js';
import { entriesToJson, layoutJson, type JsonMember } from './json-writer.js';
import { JSON_FORMAT_KEY, readJsonFormat, type OptionDefinition } from './option-table.js';
import type { LogFormat, ProcessingOption } from './options.js';
import { lineText, RecordConversionError, type Processor, type ProcessorContext } from './processor.js';

export type AddEc2MetadataOption = Extract<ProcessingOption, { optionName: 'ADDEC2METADATA' }>;

const RETRY_AFTER_FAILURE_MS = 60_000;

/**
 * ADDEC2METADATA: the instance's identity (and tags, when asked) added to a
 * JSON object record, with the keys and order of the Kinesis Agent's
 * AddEC2MetadataConverter.java: privateIp, availabilityZone, instanceId,
 * instanceType, accountId, amiId, region, metadataTimestamp, tags (keys
 * lower-cased). A key the record already has is overwritten in place
 * (LinkedHashMap.putAll). A record that is not a JSON object is a
 * conversion error.
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

/**
 * The Kinesis Agent's `new SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ssZ")`, which
 * writes the local time of the host's time zone (the JVM default, from TZ or
 * /etc/localtime, as Node's) with its offset as ±HHMM:
 * `2024-05-01T14:00:00+0200`; `+0000` on a host set to UTC.
 */
export function metadataTimestamp(d: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  const offset = -d.getTimezoneOffset();
  const abs = Math.abs(offset);
  const zone = `${offset < 0 ? '-' : '+'}${two(Math.floor(abs / 60))}${two(abs % 60)}`;
  return (
    `${String(d.getFullYear()).padStart(4, '0')}-${two(d.getMonth() + 1)}-${two(d.getDate())}` +
    `T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}${zone}`
  );
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

const LOG_FORMAT_VALUES: readonly LogFormat[] = ['COMMONAPACHELOG', 'COMBINEDAPACHELOG', 'APACHEERRORLOG', 'SYSLOG', 'RFC3339SYSLOG', 'RFC5424SYSLOG'];

/** The Kinesis Agent refreshes EC2 metadata hourly unless told otherwise. */
export const DEFAULT_METADATA_TTL_SECONDS = 3600;

export const ADDEC2METADATA: OptionDefinition<'ADDEC2METADATA'> = {
  optionName: 'ADDEC2METADATA',
  javaSource: 'AddEC2MetadataConverter.java',
  summary: 'adds the EC2 instance\'s identity (and tags) to each JSON object record',
  keys: [
    {
      name: 'logFormat',
      type: 'enum',
      values: LOG_FORMAT_VALUES,
      required: true,
      noEffect: 'the Kinesis Agent requires it and builds a log parser from it, but never uses that parser: records are read as JSON objects',
      description: 'one of the LOGTOJSON log formats; validated, no effect on the output',
    },
    { name: 'metadataTTL', type: 'int', default: DEFAULT_METADATA_TTL_SECONDS, min: 1, anyValue: true, description: 'seconds between refreshes of the instance metadata' },
    { name: 'tags', type: 'bool', default: true, ours: true, description: 'adds "tags" (instance tags from instance metadata, keys lower-cased); false leaves it out' },
    JSON_FORMAT_KEY,
  ],
  read(r) {
    const opt: AddEc2MetadataOption = {
      optionName: 'ADDEC2METADATA',
      metadataTTL: readTtl(r),
      tags: r.bool('tags', true),
      jsonFormat: readJsonFormat(r),
    };
    const logFormat = r.enumOf('logFormat', LOG_FORMAT_VALUES);
    if (logFormat) opt.logFormat = logFormat;
    return opt;
  },
  create: createAddEc2Metadata,
};

/** As the Kinesis Agent: a value that is not a whole number is ignored (with a warning) for the hourly default. */
function readTtl(r: Parameters<OptionDefinition<'ADDEC2METADATA'>['read']>[0]): number {
  if (!r.has('metadataTTL')) return DEFAULT_METADATA_TTL_SECONDS;
  const v = r.plain('metadataTTL');
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) {
    r.warn('metadataTTL', `\`${String(v)}\` is not a whole number of seconds and is ignored, as the Kinesis Agent ignores it`, `metadata is refreshed every ${DEFAULT_METADATA_TTL_SECONDS} s`);
    return DEFAULT_METADATA_TTL_SECONDS;
  }
  if (n < 1) {
    r.warn('metadataTTL', `${n} would refresh the metadata for every record; it is refreshed every second instead`, 'give metadataTTL in seconds, 1 or more');
    return 1;
  }
  return n;
}
