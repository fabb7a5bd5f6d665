/**
 * Plain counters and gauges for one flow. Every stage writes into them; the
 * reporters (progress log, CloudWatch, Prometheus, /status) read them. Plain
 * numbers keep the hot path free of allocation and indirection.
 */
export class FlowMetrics {
  /** Lines (or multi-line entries) framed from files. */
  recordsParsed = 0;
  bytesParsed = 0;
  /** Records a processor dropped on purpose (e.g. LOGTOJSON no match). */
  recordsSkipped = 0;
  /** Records a processor failed on; they were sent unconverted. */
  processingErrors = 0;
  /** Records cut to the destination's size limit. */
  recordsTruncated = 0;

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
  bytesBehind = 0;
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
}
