/** The destination answered, but not with anything a PutRecords/PutRecordBatch answer looks like. */
export class MalformedResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedResponseError';
  }
}
