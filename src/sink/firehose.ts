/** Firehose: how to build a PutRecordBatch call and read its answer. */
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import type { Destination, EntryFailure } from './destination.js';
import type { Entry } from './entry.js';
import { MalformedResponseError, type DestinationContext } from './errors.js';
import { PUT_RECORD_BATCH } from './limits.js';
import { RawExchange } from './raw-exchange.js';
import { recordsBody } from './request-body.js';

/** One entry of a PutRecordBatch answer, as the wire has it. */
interface PutRecordBatchResult {
  RecordId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

export class FirehoseDestination implements Destination {
  readonly limits = PUT_RECORD_BATCH;

  constructor(
    private readonly client: FirehoseClient,
    readonly context: DestinationContext,
  ) {}

  async send(entries: Entry[], signal: AbortSignal): Promise<EntryFailure[]> {
    const exchange = new RawExchange(recordsBody('DeliveryStreamName', this.context.streamName, entries, false));
    const command = new PutRecordBatchCommand({ DeliveryStreamName: this.context.streamName, Records: [] });
    exchange.attach(command);
    await this.client.send(command, { abortSignal: signal });
    const results = exchange.json('PutRecordBatch').RequestResponses as PutRecordBatchResult[] | undefined;
    if (!Array.isArray(results) || results.length !== entries.length) {
      throw new MalformedResponseError(
        `PutRecordBatch answered ${Array.isArray(results) ? results.length : 'no'} results for ${entries.length} records`,
      );
    }
    const failures: EntryFailure[] = [];
    for (let index = 0; index < results.length; index++) {
      const r = results[index];
      if (r === null || typeof r !== 'object') failures.push({ index, code: 'MalformedResponse', message: 'result is not an object' });
      else if (r.ErrorCode) failures.push({ index, code: String(r.ErrorCode), message: String(r.ErrorMessage ?? '') });
      else if (!r.RecordId) failures.push({ index, code: 'MalformedResponse', message: 'result has neither RecordId nor ErrorCode' });
    }
    return failures;
  }

  close(): void {
    this.client.destroy();
  }
}
