/** Firehose: how to build a PutRecordBatch call and read its answer. */
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import type { DestinationAdapter, EntryFailure } from '../adapter.js';
import type { Entry } from '../entry.js';
import { allDelivered, entryFailure, entryResults } from '../answer.js';
import type { DestinationContext } from '../errors.js';
import { PUT_RECORD_BATCH } from './limits.js';
import { answerObject, putExchange, sdkPut, type PutExchange, type PutTransport } from '../raw-exchange.js';
import { recordsBody } from '../request-body.js';

export class FirehoseAdapter implements DestinationAdapter {
  readonly limits = PUT_RECORD_BATCH;
  private readonly put: PutExchange;

  /** `transport`: how PutRecordBatch travels (aws/transport.ts putPathFor; the SDK's HTTP/1.1 unless it says otherwise). */
  constructor(
    private readonly client: FirehoseClient,
    readonly context: DestinationContext,
    transport: PutTransport,
  ) {
    this.put = putExchange(client, transport, {
      target: 'Firehose_20150804.PutRecordBatch',
      sdk: (body, signal) => {
        const command = new PutRecordBatchCommand({ DeliveryStreamName: context.streamName, Records: [] });
        return sdkPut(command, body, () => client.send(command, { abortSignal: signal }));
      },
    });
  }

  async send(entries: Entry[], signal: AbortSignal): Promise<EntryFailure[]> {
    const body = recordsBody('DeliveryStreamName', this.context.streamName, entries, false, (size) => this.put.bodyBuffer(size));
    return this.put.send(body, signal, (answer) => failuresIn(answer, entries.length));
  }

  close(): void {
    this.put.close();
    this.client.destroy();
  }
}

/** The entries a PutRecordBatch answer says failed, by index; MalformedResponseError when it does not account for `sent`. */
function failuresIn(answer: Buffer, sent: number): EntryFailure[] {
  if (allDelivered(answer, sent, 'FailedPutCount', 'RecordId')) return [];
  const results = entryResults('PutRecordBatch', answerObject('PutRecordBatch', answer), 'RequestResponses', sent);
  const failures: EntryFailure[] = [];
  for (let index = 0; index < results.length; index++) {
    const failure = entryFailure(results[index], index, 'RecordId');
    if (failure) failures.push(failure);
  }
  return failures;
}
