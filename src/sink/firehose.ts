/** Firehose: how to build a PutRecordBatch call and read its answer. */
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import type { Destination, EntryFailure } from './destination.js';
import type { Entry } from './entry.js';
import { MalformedResponseError, type DestinationContext } from './errors.js';
import { PUT_RECORD_BATCH } from './limits.js';
import { withBody } from './prebuilt-body.js';
import { recordsBody } from './request-body.js';

export class FirehoseDestination implements Destination {
  readonly limits = PUT_RECORD_BATCH;

  constructor(
    private readonly client: FirehoseClient,
    readonly context: DestinationContext,
  ) {}

  async send(entries: Entry[], signal: AbortSignal): Promise<EntryFailure[]> {
    const body = recordsBody('DeliveryStreamName', this.context.streamName, entries, false);
    const command = new PutRecordBatchCommand({ DeliveryStreamName: this.context.streamName, Records: [] });
    withBody(command, body);
    const answer = await this.client.send(command, { abortSignal: signal });
    const results = answer.RequestResponses;
    if (!Array.isArray(results) || results.length !== entries.length) {
      throw new MalformedResponseError(
        `PutRecordBatch answered ${Array.isArray(results) ? results.length : 'no'} results for ${entries.length} records`,
      );
    }
    const failures: EntryFailure[] = [];
    results.forEach((r, index) => {
      if (r.ErrorCode) failures.push({ index, code: r.ErrorCode, message: r.ErrorMessage ?? '' });
      else if (!r.RecordId) failures.push({ index, code: 'MalformedResponse', message: 'result has neither RecordId nor ErrorCode' });
    });
    return failures;
  }

  close(): void {
    this.client.destroy();
  }
}
