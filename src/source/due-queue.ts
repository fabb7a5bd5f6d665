/**
 * Items each due at a moment (monotonic ms), the earliest first: a binary
 * min-heap with lazy removal. Rescheduling or cancelling an item only
 * records its new moment; the heap's stale entry is dropped when it
 * surfaces. So taking the due items costs O(log n) each, and a loop over
 * thousands of quiet files touches only the few whose moment came, instead
 * of every file at every wake-up.
 */
export class DueQueue<T> {
  /** The moment each scheduled item is due; an entry of the heap counts only while it matches. */
  private readonly at = new Map<T, number>();
  private heap: { at: number; item: T }[] = [];

  /** Items scheduled. */
  get size(): number {
    return this.at.size;
  }

  has(item: T): boolean {
    return this.at.has(item);
  }

  /** `item` is due at `at` (ms), replacing any earlier schedule of it. */
  schedule(item: T, at: number): void {
    this.at.set(item, at);
    this.push({ at, item });
    // Stale entries surface only at the top: rebuild before they outnumber live ones.
    if (this.heap.length > 2 * this.at.size + 64) this.rebuild();
  }

  /** `item` is no longer scheduled. */
  cancel(item: T): void {
    this.at.delete(item);
  }

  clear(): void {
    this.at.clear();
    this.heap = [];
  }

  /** The earliest moment an item is due (ms); Infinity when none is. */
  peek(): number {
    this.dropStale();
    return this.heap.length > 0 ? this.heap[0]!.at : Infinity;
  }

  /** Takes out every item due at or before `now` (ms), earliest first, appending them to `out`. */
  takeDue(now: number, out: T[]): void {
    for (;;) {
      this.dropStale();
      const top = this.heap[0];
      if (top === undefined || top.at > now) return;
      this.pop();
      this.at.delete(top.item);
      out.push(top.item);
    }
  }

  private dropStale(): void {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || this.at.get(top.item) === top.at) return;
      this.pop();
    }
  }

  private rebuild(): void {
    const entries = [...this.at].map(([item, at]) => ({ at, item }));
    entries.sort((a, b) => a.at - b.at);
    // A sorted array is a heap.
    this.heap = entries;
  }

  private push(e: { at: number; item: T }): void {
    const h = this.heap;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.at <= e.at) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = e;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]!.at < h[l]!.at ? r : l;
      if (h[c]!.at >= last.at) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}
