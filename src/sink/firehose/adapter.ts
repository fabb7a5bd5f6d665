/** Firehose: how to build a PutRecordBatch call and read its answer. */
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import type { DestinationAdapter, EntryFailure } from '../adapter.js';
import type { Entry } from '../entry.js';
import { entryFailure, entryResults } from '../answer.js';
import type { DestinationContext } from '../errors.js';
import { PUT_RECORD_BATCH } from './limits.js';
import { RawExchange } from '../raw-exchange.js';
import { recordsBody } from '../request-body.js';

export class FirehoseAdapter implements DestinationAdapter {
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
    const results = entryResults('PutRecordBatch', exchange.json('PutRecordBatch'), 'RequestResponses', entries.length);
    const failures: EntryFailure[] = [];
    for (let index = 0; index < results.length; index++) {
      const failure = entryFailure(results[index], index, 'RecordId');
      if (failure) failures.push(failure);
    }
    return failures;
  }

  close(): void {
    this.client.destroy();
  }
}
