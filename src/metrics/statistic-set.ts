/** SampleCount, Sum, Min, Max of values seen in one period: what PutMetricData takes as StatisticValues. */
export class StatisticSet {
  sampleCount = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  add(value: number): void {
    this.sampleCount += 1;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  toJSON(): { SampleCount: number; Sum: number; Minimum: number; Maximum: number } {
    return { SampleCount: this.sampleCount, Sum: this.sum, Minimum: this.min, Maximum: this.max };
  }
}
