import { open } from 'node:fs/promises';
import { statHandle } from './identity.js';
import type { Tailer } from './tailer.js';

/**
 * The open-file cap. Files hold a descriptor while they are read; past the
 * cap, the idle file opened longest ago gives its descriptor back (is
 * parked) and is reopened by path when it changes.
 */
export class DescriptorPool {
  readonly max: number;
  /** Tailers holding a descriptor, least recently (re)opened first. */
  private readonly open = new Set<Tailer>();

  constructor(max: number) {
    this.max = Math.max(1, max);
  }

  get size(): number {
    return this.open.size;
  }

  /** A tailer just opened its file. */
  add(t: Tailer): void {
    this.open.add(t);
  }

  async close(t: Tailer): Promise<void> {
    this.open.delete(t);
    await t.close();
  }

  /** Frees a slot if needed by parking an idle file; false when every open file is busy. */
  async makeRoom(except?: Tailer): Promise<boolean> {
    if (this.open.size < this.max) return true;
    for (const t of this.open) {
      if (t === except || !t.parkable) continue;
      t.park();
      await this.close(t);
      return true;
    }
    return false;
  }

  /**
   * Takes a parked file up again by its path, if the path still leads to the
   * same inode. 'moved' when it does not: the rescan will find where it went.
   */
  async reopen(t: Tailer): Promise<'open' | 'full' | 'moved'> {
    if (!(await this.makeRoom(t))) return 'full';
    let fh;
    try {
      fh = await open(t.fsPath, 'r');
    } catch {
      t.reopenFailed();
      return 'moved';
    }
    const st = await statHandle(fh).catch(() => undefined);
    if (!st || st.key !== t.key) {
      await fh.close().catch(() => {});
      t.reopenFailed();
      return 'moved';
    }
    t.reopened(fh);
    this.open.add(t);
    return 'open';
  }
}
