import { Conditions } from './conditions.js';

/**
 * The one port through which a flow's stages report what happens to them
 * (after Vector's FileSourceInternalEvents: a stage emits, it never imports
 * metrics). Two kinds of report:
 * - counters and gauges, plain numbers a stage bumps on its hot path (a
 *   field write per record costs nothing; a call or an event object per
 *   record would);
 * - conditions a person must fix, raised and cleared through `conditions`
 *   ("once per change of state", see conditions.ts).
 * src/metrics/ and src/status/ read this object; no stage imports them.
 */
export class FlowEvents {
  /** Lines (or multi-line entries) framed from files. */
  recordsParsed = 0;
  bytesParsed = 0;
  /** Records a processor dropped on purpose (e.g. LOGTOJSON no match). */
  recordsSkipped = 0;
  /** Records a processor failed on; they were sent unconverted. */
  processingErrors = 0;
  /** Records cut to the destination's size limit. */
  recordsTruncated = 0;
  /** `afterShipping`: finished files deleted or renamed, and attempts that failed (retried). */
  filesFinished = 0;
  fileFinishErrors = 0;

  /** User records acknowledged by the destination. */
  recordsSent = 0;
  bytesSent = 0;
  /** User records included in a send attempt (first tries and retries). */
  recordSendAttempts = 0;
  /** User records the destination reported as failed in an answer. */
  recordSendErrors = 0;
  /** Calls that failed as a whole (throttled, 5xx, network, denied). */
  serviceErrors = 0;
  /** Calls made, and retries among them. */
  requests = 0;
  retries = 0;

  /** Gauges, set by their owners. */
  filesBehind = 0;
  filesTracked = 0;
  queueBytes = 0;
  queueCapacityBytes = 0;
  inFlightRequests = 0;
  /** ms since epoch; 0 when never. */
  lastSendAt = 0;
  lastCheckpointAt = 0;
  /** ms since epoch when delivery started failing without success since; 0 when healthy. */
  failingSince = 0;
  /** ms since epoch when the flow last had nothing left to deliver (bytesBehind 0); 0 when never. */
  caughtUpAt = 0;

  private behind = 0;

  constructor(readonly conditions: Conditions = Conditions.detached()) {}

  /** Bytes in tailed files not yet delivered; setting 0 stamps caughtUpAt (for /healthz). */
  get bytesBehind(): number {
    return this.behind;
  }

  set bytesBehind(bytes: number) {
    this.behind = bytes;
    if (bytes === 0) this.caughtUpAt = Date.now();
  }
}
