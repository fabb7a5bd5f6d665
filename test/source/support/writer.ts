import { appendFile } from 'node:fs/promises';

/**
 * An application writing numbered lines to a log by path (as O_APPEND
 * writers do after a reopen), in small batches, until stopped.
 */
export class LineWriter {
  next = 0;
  private running = false;
  private paused = false;
  private loop: Promise<void> | undefined;
  private current: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly prefix = 'L',
    private readonly batch = 20,
  ) {}

  line(n: number): string {
    return `${this.prefix}-${String(n).padStart(8, '0')}`;
  }

  /** Every line written so far. */
  written(): string[] {
    return Array.from({ length: this.next }, (_, i) => this.line(i));
  }

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        if (!this.paused) {
          let chunk = '';
          for (let i = 0; i < this.batch; i++) chunk += `${this.line(this.next++)}\n`;
          this.current = appendFile(this.path, chunk);
          await this.current;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
  }

  /** Stops writing and waits until the last write is done. */
  async pause(): Promise<void> {
    this.paused = true;
    await this.current;
  }

  resume(): void {
    this.paused = false;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
