import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import { CLOUDWATCH_METRICS } from './catalog.js';
import type { FlowEvents } from '../events/flow-events.js';
import { destinationLabel, type ObservedFlow } from './observed-flow.js';
import { StatisticSet } from './statistic-set.js';

interface FlowState {
  /** The object the last values came from: a restarted flow gets a new one, and counts from zero. */
  metrics: FlowEvents;
  last: number[];
  sets: StatisticSet[];
  dimension: string;
}

/**
 * The values last counted, per FlowEvents object and across reporters: a
 * reporter restarted by a reload must not report a running flow's totals a
 * second time.
 */
const counted = new WeakMap<FlowEvents, number[]>();

/**
 * Reads every flow's counters on each sample() and folds the change since
 * the last sample (gauges: the value) into one StatisticSet per metric; take()
 * turns a period's sets into datums and starts the next period.
 */
export class Sampler {
  private readonly flows = new Map<string, FlowState>();

  /** The `Instance` dimension value; none until set. */
  instance: string | undefined;

  sample(flows: ObservedFlow[]): void {
    for (const flow of flows) {
      let st = this.flows.get(flow.id);
      if (!st || st.metrics !== flow.metrics) {
        let last = counted.get(flow.metrics);
        if (!last) counted.set(flow.metrics, (last = CLOUDWATCH_METRICS.map(() => 0)));
        st = {
          metrics: flow.metrics,
          last,
          sets: st?.sets ?? CLOUDWATCH_METRICS.map(() => new StatisticSet()),
          dimension: destinationLabel(flow.destination),
        };
        this.flows.set(flow.id, st);
      }
      st.dimension = destinationLabel(flow.destination);
      CLOUDWATCH_METRICS.forEach((m, i) => {
        const now = flow.metrics[m.field] as number;
        if (m.kind === 'gauge') {
          st.sets[i]!.add(now);
          return;
        }
        // A counter that went down was reset; count what it holds now.
        const prev = st.last[i]!;
        st.sets[i]!.add(now >= prev ? now - prev : now);
        st.last[i] = now;
      });
    }
  }

  /** The period's datums, stamped `at`; flows that are gone are forgotten after this. */
  take(at: Date, live: ObservedFlow[]): MetricDatum[] {
    const out: MetricDatum[] = [];
    for (const st of this.flows.values()) {
      const dims = [{ Name: 'Destination', Value: st.dimension }];
      if (this.instance !== undefined) dims.push({ Name: 'Instance', Value: this.instance });
      CLOUDWATCH_METRICS.forEach((m, i) => {
        const set = st.sets[i]!;
        if (set.sampleCount === 0) return;
        out.push({
          MetricName: m.name,
          Dimensions: dims,
          Timestamp: at,
          Unit: m.unit,
          StatisticValues: set.toJSON(),
        });
        st.sets[i] = new StatisticSet();
      });
    }
    const ids = new Set(live.map((f) => f.id));
    for (const id of this.flows.keys()) if (!ids.has(id)) this.flows.delete(id);
    return out;
  }
}
