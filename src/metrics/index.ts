/** What the metrics readers (CloudWatch, Prometheus, the progress log) need to be handed. */
export { observe, destinationLabel, type ObservedFlow, type FlowLike, type FlowState } from './observed-flow.js';
export { startProgressLog, type ProgressLog } from './progress-log.js';
export { renderPrometheus, PROMETHEUS_CONTENT_TYPE, type AgentSamples } from './prometheus.js';
export type { CloudWatchReporter, CloudWatchStats } from './cloudwatch.js';
