import { constants } from 'node:fs';
import { access, open } from 'node:fs/promises';
import type { CheckpointEntry } from '../checkpoint/entry.js';
import type { CheckpointStore } from '../checkpoint/store.js';
import type { FlowConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import type { FlowEvents } from '../events/flow-events.js';
import type { RecordSink } from '../pipeline/types.js';
import { decideFinish, renamedAway, Siblings, type FinishDecision } from './after-shipping.js';
import { FinishActions, type FinishedFile } from './finish-action.js';
import { matchesStored, readPrefix } from './fingerprint.js';
import { displayPath, identityKey, pathIdentitySync, statAll, statHandle, type FilePath, type FileStat } from './identity.js';
import { PatternSet } from './patterns.js';
import type { TailedFileStatus } from './status.js';
import { CopyTruncate } from './copytruncate.js';
import { DescriptorPool } from './descriptors.js';
import { decidePlacement } from './placement.js';
import { DueQueue } from './due-queue.js';
import { gaugesDue, type LastGauges } from './gauge-schedule.js';
import { IDLE_POLL_MS, pathCheckEvery, pollEvery, pollSpacing, restingChecks } from './poll-schedule.js';
import { Tailer, type TailerDeps } from './tailer.js';
import { EventWatcher, watchModeFromEnv, type WatchMode } from './watch.js';

export interface FileSourceOptions {
  flow: FlowConfig;
  store: CheckpointStore;
  sink: RecordSink;
  metrics: FlowEvents;
  log: Logger;
  /** Largest record the destination takes; longer ones are cut to it. */
  maxRecordBytes: number;
  /** Bytes read from one file per turn, so that every file moves (default 256 KiB). */
  readChunkBytes?: number;
  /** Descriptors this source may hold open (default 1024). Files past it wait. */
  maxOpenFiles?: number;
  /** How long a rotated or deleted file read to its end stays open for late writes (default 5000 ms). */
  rotatedGraceMillis?: number;
  /** Quiet time after which the last multi-line record goes out (default 1000 ms). */
  multiLineFlushMillis?: number;
  /** 'events' (chokidar + rescan, default) or 'poll' (rescan only); KINESIS_AGENT_WATCH=poll also sets it. */
  watchMode?: WatchMode;
  /**
   * Has this flow run before? Then `initialPosition` no longer applies and a
   * file without a checkpoint is read from its start (DESIGN invariant 6).
   * Default: the store holds a checkpoint of this flow when start() is called
   * (its own, or imported from the Kinesis Agent before that).
   */
  flowHasRun?: boolean;
}

/** Files are looked at for `afterShipping` at most this often. */
const FINISH_CHECK_MS = 1_000;

/** Where a tailed file stands for `afterShipping`, as /status shows it. */
export type FinishView =
  | { state: 'live' | 'waiting'; why: string; retryAt?: number }
  | { state: 'acting' }
  /** Deleted or renamed; the tailer goes once the rescan sees the name gone. */
  | { state: 'done'; why: string };


/**
 * Tails every file matching one flow's patterns. Files are found by a glob
 * rescan (the safety net) sped up by file-system events, known by identity
 * (dev, ino, first bytes), read fairly (one bounded chunk per file per turn,
 * oldest data first), framed into records and pushed to the sink; reading
 * pauses while the sink is full. Each file's tracker turns acks into the
 * checkpoint.
 */
export class FileSource {
  private readonly flow: FlowConfig;
  private readonly store: CheckpointStore;
  private readonly sink: RecordSink;
  private readonly metrics: FlowEvents;
  private readonly log: Logger;
  private readonly patterns: PatternSet;
  private readonly deps: TailerDeps;
  private readonly chunkBytes: number;
  private readonly graceMs: number;
  private readonly multiLineFlushMs: number;
  private readonly pollMs: number;
  private readonly rescanMs: number;
  private readonly watchMode: WatchMode;

  private readonly tailers = new Map<string, Tailer>();
  /**
   * Files looked at every turn: being read, placed, held, reopened, or not
   * looked at since something may have changed them. A file at rest leaves
   * it for `restingUntil`, at the moment it is next due; one that wants no
   * service (parked, finished) for neither, until an event or a scan.
   */
  private readonly active = new Set<Tailer>();
  private readonly restingUntil = new DueQueue<Tailer>();
  /**
   * The next turn looks at every file again: set whenever something may have
   * changed a file outside its own turn (a scan, afterShipping, a copy held
   * or placed, a truncation, a release).
   */
  private lookAtAll = true;
  private lastGauges: LastGauges = { at: -Infinity, filesBehind: 0, filesTracked: -1 };
  private readonly fds: DescriptorPool;
  private readonly copies: CopyTruncate;
  /** Size at the first scan of files found then but opened later (over the cap): where END_OF_FILE starts them. */
  private readonly initialSizes = new Map<string, number>();
  private firstScanDone = false;
  private readonly flowHasRunGiven: boolean | undefined;
  private flowHasRun = false;
  /** Monotonic, like every interval here. */
  private lastScanAt = -Infinity;
  private capHit = false;
  private scanRequested = true;
  private backpressured = false;
  private stopped = true;
  private loopDone: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Monotonic ms at which the loop's sleep ends; -Infinity while it is awake. */
  private sleepUntil = -Infinity;
  private rescanTimer: NodeJS.Timeout | undefined;
  private watcher: EventWatcher | undefined;
  /** Keys of the conditions this source has raised and not cleared (see warnOnce). */
  private readonly warned = new Set<string>();
  /** `afterShipping`: the acting part, and where each tailed file stands. */
  private readonly finisher: FinishActions | undefined;
  private readonly finishViews = new Map<string, FinishView>();
  private lastFinishAt = -Infinity;

  constructor(opts: FileSourceOptions) {
    this.flow = opts.flow;
    this.store = opts.store;
    this.sink = opts.sink;
    this.metrics = opts.metrics;
    this.log = opts.log;
    this.patterns = new PatternSet(opts.flow.filePatterns, opts.flow.excludePatterns);
    this.chunkBytes = Math.max(4096, opts.readChunkBytes ?? 256 * 1024);
    this.fds = new DescriptorPool(opts.maxOpenFiles ?? 1024);
    this.copies = new CopyTruncate(this.tailers, opts.log);
    this.graceMs = Math.max(0, opts.rotatedGraceMillis ?? 5000);
    this.multiLineFlushMs = Math.max(0, opts.multiLineFlushMillis ?? 1000);
    this.pollMs = Math.max(1, opts.flow.minTimeBetweenFilePollsMillis);
    this.rescanMs = Math.max(10, opts.flow.maxTimeBetweenFileTrackerRefreshMillis);
    this.watchMode = watchModeFromEnv(opts.watchMode);
    this.flowHasRunGiven = opts.flowHasRun;
    const after = opts.flow.afterShipping;
    if (after) {
      this.finisher = new FinishActions({ config: after, flowId: opts.flow.id, store: opts.store, patterns: this.patterns, log: opts.log, metrics: opts.metrics });
    }
    this.deps = {
      flowId: opts.flow.id,
      store: opts.store,
      sink: opts.sink,
      metrics: opts.metrics,
      framing: {
        maxRecordBytes: opts.maxRecordBytes,
        truncatedRecordTerminator: opts.flow.truncatedRecordTerminator,
        skipHeaderLines: opts.flow.skipHeaderLines,
        multiLineStartPattern: opts.flow.multiLineStartPattern,
        multiLine: opts.flow.multiLine,
        containerFormat: opts.flow.containerFormat,
        fileFooterPattern: opts.flow.fileFooterPattern,
      },
      onBackpressure: () => {
        this.backpressured = true;
      },
    };
  }

  /** Finds the files (the first scan applies initialPosition) and starts tailing them. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.flowHasRun = this.flowHasRunGiven ?? this.store.entries(this.flow.id).length > 0;
    await this.scan();
    if (this.watchMode === 'events') {
      this.watcher = new EventWatcher(
        this.patterns,
        this.log,
        (path, isDir) => {
          // Other files in a watched directory (syslog next to app.log) must
          // not cost a rescan each time they are written.
          if (isDir || this.patterns.matches(path)) this.requestScan();
        },
        (path) => this.noteChange(path),
      );
    }
    this.rescanTimer = setInterval(() => this.requestScan(), this.rescanMs);
    this.rescanTimer.unref();
    this.loopDone = this.loop().catch((err: unknown) => {
      this.log.error({ err: String(err) }, 'file source stopped on an unexpected error');
    });
  }

  /**
   * Stops reading and watching and closes the files. Records already pushed
   * keep their trackers: their acks still move the checkpoints.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.rescanTimer) clearInterval(this.rescanTimer);
    this.rescanTimer = undefined;
    this.wake?.();
    await this.loopDone;
    await this.watcher?.close();
    this.watcher = undefined;
    await Promise.all([...this.tailers.values()].map((t) => this.fds.close(t)));
    this.tailers.clear();
    this.active.clear();
    this.restingUntil.clear();
    this.lookAtAll = true;
    this.updateGauges();
  }

  status(): TailedFileStatus[] {
    return [...this.tailers.values()].map((t) => ({
      path: t.path,
      identity: { dev: t.dev, ino: t.ino, fingerprint: t.fingerprint, fingerprintBytes: t.prefix.length },
      size: t.size,
      committedOffset: t.tracker.committed,
      readOffset: t.readOffset,
      bytesBehind: Math.max(0, t.size - t.tracker.committed),
      lastReadAt: t.lastReadAt,
      lastSendAt: t.lastCommitAt,
      state: t.kind === 'placing' || t.kind === 'held' ? 'waiting' : t.gone ? 'gone' : t.renamed ? 'rotated' : 'active',
      ...this.finishStatus(t.key),
    }));
  }

  /** With `afterShipping`: the files this source deleted or renamed, newest first. */
  finished(): readonly FinishedFile[] {
    return this.finisher?.done ?? [];
  }

  private finishStatus(key: string): { afterShipping?: { state: string; why?: string } } {
    if (!this.finisher) return {};
    const v = this.finishViews.get(key);
    if (!v) return { afterShipping: { state: 'waiting', why: 'not looked at yet' } };
    return { afterShipping: v.state === 'acting' ? { state: 'acting' } : { state: v.state, why: v.why } };
  }

  private requestScan(): void {
    this.scanRequested = true;
    this.wake?.();
  }

  private noteChange(path: string): void {
    let known = false;
    let dueAt = Infinity;
    for (const t of this.tailers.values()) {
      if (t.path === path) {
        t.nudge();
        t.wantOpen();
        this.activate(t);
        // A file that left its path (renamed out of the patterns, deleted)
        // does not stand for it: the change may be a new file created there,
        // a rename and create the watcher coalesced into one `change`.
        if (!t.gone) known = true;
        // Caught up and polled within the poll interval: read at its end (resting).
        dueAt = Math.min(dueAt, t.kind === 'reading' && t.caughtUp ? t.lastPollAt + this.pollMs : -Infinity);
      }
    }
    // A change to a file we do not tail yet (missed, new at a path a gone
    // file had, or over the fd cap): look now.
    if (!known && this.patterns.matches(path)) this.scanRequested = true;
    // A writer appending every few ms must not wake the loop each time: only
    // for a file due now, or when the loop (which then sleeps at least a poll
    // interval again) would otherwise sleep past the file's next poll.
    const now = performance.now();
    if (this.scanRequested || dueAt <= now || (dueAt < this.sleepUntil && now + this.pollMs < this.sleepUntil)) this.wake?.();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      // Event storms coalesce: at most one scan per poll interval.
      if (this.scanRequested && performance.now() - this.lastScanAt >= Math.min(this.pollMs, this.rescanMs)) await this.scan();
      const now = performance.now();
      let progressed = false;
      const due = this.dueFiles(now);
      // Oldest data first: a rotated file's rest before its successor's start.
      if (due.length > 1) due.sort((a, b) => a.mtimeMs - b.mtimeMs);
      for (const t of due) {
        if (this.stopped) break;
        // Held, placing, parked: their turn may touch other files (copytruncate, the descriptor pool).
        if (t.kind !== 'reading') this.lookAtAll = true;
        if (await this.service(t, now)) progressed = true;
        if (this.backpressured) await this.waitForRoom();
      }
      if (gaugesDue(now, progressed, this.lastGauges, this.tailers.size)) this.updateGauges(now);
      if (this.finisher && now - this.lastFinishAt >= FINISH_CHECK_MS && !this.stopped) await this.finishTurn(now);
      if (!progressed && this.capHit) this.scanRequested = true;
      if (!progressed && !this.stopped) await this.sleep(this.idleMillis(now));
    }
  }

  /**
   * The files that need a turn now. Files at rest are settled here, without
   * a turn (a turn, an async call, per quiet file per poll was most of the
   * idle CPU), and put aside until they are next due: a turn looks only at
   * the active files and those whose moment came, not at every file.
   */
  private dueFiles(now: number): Tailer[] {
    let look: Iterable<Tailer>;
    if (this.lookAtAll) {
      this.lookAtAll = false;
      this.active.clear();
      this.restingUntil.clear();
      look = [...this.tailers.values()];
    } else {
      const woken: Tailer[] = [];
      this.restingUntil.takeDue(now, woken);
      for (const t of woken) this.active.add(t);
      look = [...this.active];
    }
    const due: Tailer[] = [];
    for (const t of look) {
      if (this.tailers.get(t.key) !== t || !t.wantsService) {
        // Released, or waiting for an event or a scan (parked, finished).
        this.active.delete(t);
        continue;
      }
      if (this.resting(t, now) || this.settle(t, now)) {
        this.checkQuiet(t, now);
        if (this.tailers.get(t.key) === t && t.wantsService && this.resting(t, now)) {
          this.active.delete(t);
          this.restingUntil.schedule(t, this.nextDue(t, now));
        } else this.active.add(t);
      } else {
        this.active.add(t);
        due.push(t);
      }
    }
    return due;
  }

  /**
   * A caught-up file whose poll or path look is due, and nothing else: both
   * done here, synchronously (Tailer.pollAtRest). True when it stays at
   * rest; false when it needs a turn (it changed, an event nudged it, it is
   * not simply caught up), which then does the poll itself.
   */
  private settle(t: Tailer, now: number): boolean {
    if (t.kind !== 'reading' || !t.fh || !t.caughtUp || t.nudged) return false;
    const spacing = this.spacing(t, now);
    const { poll, look } = restingChecks(now, this.pollDueAt(t, spacing), this.pathCheckDueAt(t, spacing), t.lastPollAt, t.pathCheckedAt, this.pollMs, t.where.at === 'path');
    if (look) this.lookAtPath(t, now);
    return !poll || t.pollAtRest(now);
  }

  /**
   * A new file where `t` was found (a rename and create seen as one
   * `change`, a symlink swapped, or no event at all): look for it now.
   */
  private lookAtPath(t: Tailer, now: number): void {
    // `watcher` exists in events mode only.
    t.eventsTrustedAtPathCheck = this.watcher !== undefined && this.watcher.eventsTrusted(t.path);
    if (t.pathChanged(now)) {
      this.log.debug({ path: t.path, ino: t.ino }, 'path leads to another file now: rescanning');
      this.requestScan();
    }
  }

  /** Something outside its turn may have made `t` due sooner: look at it at the next turn. */
  private activate(t: Tailer): void {
    this.restingUntil.cancel(t);
    this.active.add(t);
  }

  /**
   * How long the loop may sleep (ms) when a turn moved nothing: until the
   * first moment a file is due (its poll, the look at its path, its
   * multi-line flush or the end of its grace) but at least a poll interval,
   * instead of a wake-up every poll interval that finds nothing to do; events and scan requests still
   * wake it at once. A poll interval when any file is not at rest (placing,
   * held, reopening) or a scan waits, as before. `now`: the turn's clock,
   * at which every file at rest is due later (resting says so).
   */
  private idleMillis(now: number): number {
    if (this.scanRequested || this.lookAtAll) return this.pollMs;
    let next = Math.min(now + Math.max(this.pollMs, IDLE_POLL_MS), this.restingUntil.peek());
    for (const t of this.active) {
      if (!t.wantsService) continue;
      if (!this.resting(t, now)) return this.pollMs;
      const at = this.nextDue(t, now);
      if (at < next) next = at;
    }
    // Never sooner than a poll interval: files due at scattered moments are
    // taken together, as many per wake-up as the old fixed tick took.
    return Math.max(this.pollMs, next - performance.now());
  }

  /** When a file at rest (see resting) next needs a turn or a quiet check, monotonic ms. */
  private nextDue(t: Tailer, now: number): number {
    const spacing = this.spacing(t, now);
    let at = Math.min(this.pollDueAt(t, spacing), this.pathCheckDueAt(t, spacing));
    if (t.eofSince >= 0) {
      if (t.framer.hasPendingMultiLine) at = Math.min(at, t.eofSince + this.multiLineFlushMs);
      if (this.letGoAfterGrace(t)) at = Math.min(at, this.graceFrom(t) + this.graceMs);
    }
    return at;
  }

  /**
   * When a caught-up file is next polled (monotonic ms): an event brings it
   * to a poll interval after the last; one long quiet at its path, where
   * events are trusted, is polled less often (pollEvery), fixed by the last
   * poll so that it does not drift while the file rests.
   */
  private pollDueAt(t: Tailer, spacing: number): number {
    if (t.nudged) return t.lastPollAt + this.pollMs;
    const trusted = t.eventsTrustedAtPathCheck && t.where.at === 'path';
    return t.lastPollAt + pollEvery(spacing, t.eofSince >= 0 ? t.lastPollAt - t.eofSince : -1, trusted);
  }

  /** When what the file's path leads to is next looked at (monotonic ms); fixed by the last look, so it does not drift while the file rests. */
  private pathCheckDueAt(t: Tailer, spacing: number): number {
    const quietThen = t.eofSince >= 0 ? t.pathCheckedAt - t.eofSince : -1;
    return t.pathCheckedAt + pathCheckEvery(spacing, quietThen, t.eventsTrustedAtPathCheck);
  }

  /**
   * A caught-up file that is let go (rotated away or gone) or finished (its
   * footer) once quiet for the grace: only after a stat later than the end
   * was reached said no more came.
   */
  private letGoAfterGrace(t: Tailer): boolean {
    const confirmed = t.lastPollAt > this.graceFrom(t) || t.framer.footerSeen;
    return (t.gone || t.renamed || t.framer.footerSeen) && confirmed;
  }

  /**
   * Where the grace of a caught-up file let go counts from (monotonic ms):
   * its end reached, or its rotation seen if that came later. A file quiet
   * for minutes and then renamed must not be let go at the first look after
   * the rename: its writer may still write a last line to it.
   */
  private graceFrom(t: Tailer): number {
    return Math.max(t.eofSince, t.awaySince);
  }

  /** How often a caught-up file is polled (ms): pollSpacing. */
  private spacing(t: Tailer, now: number): number {
    return pollSpacing(this.pollMs, this.watchMode === 'events', t.eofSince >= 0 ? now - t.eofSince : -1);
  }

  /**
   * A file being read, caught up, with neither its poll nor the look at its
   * path due: nothing to do this turn. An event makes the poll due at once,
   * but no sooner than minTimeBetweenFilePollsMillis after the last one: a
   * writer appending every few ms raises an event each time, and a read per
   * event cost several times what one per poll interval does.
   */
  private resting(t: Tailer, now: number): boolean {
    if (t.kind !== 'reading' || !t.fh || !t.caughtUp) return false;
    const spacing = this.spacing(t, now);
    return now < this.pollDueAt(t, spacing) && now < this.pathCheckDueAt(t, spacing);
  }

  /** One turn for one file: read a chunk, or notice truncation, the end, or that it is gone. */
  private async service(t: Tailer, now: number): Promise<boolean> {
    if (t.kind === 'parked' && !(await this.reopen(t))) return false;
    if (!t.fh) return false;
    const spacing = this.spacing(t, now);
    if (t.nudged || now >= this.pathCheckDueAt(t, spacing)) this.lookAtPath(t, now);
    if (t.kind === 'held') {
      try {
        if ((await this.copies.recheck(t, now)) === 'gone') {
          this.tailers.delete(t.key);
          await this.fds.close(t);
        }
      } catch (err) {
        this.warnOnce(`read:${t.key}`, { path: t.path, err: String(err) }, 'cannot read file; will retry');
      }
      return false;
    }
    if (t.kind === 'placing') {
      try {
        // Placed: read from the next turn on.
        const placed = await this.tryPlace(t);
        if (placed) this.cleared(`read:${t.key}`);
        return placed;
      } catch (err) {
        this.warnOnce(`read:${t.key}`, { path: t.path, err: String(err) }, 'cannot read file; will retry');
        return false;
      }
    }
    if (t.caughtUp && !t.nudged && now < this.pollDueAt(t, spacing)) {
      this.checkQuiet(t, now);
      return false;
    }
    let result;
    try {
      result = await t.read(this.chunkBytes, now);
    } catch (err) {
      this.warnOnce(`read:${t.key}`, { path: t.path, err: String(err) }, 'cannot read file; will retry');
      return false;
    }
    this.cleared(`read:${t.key}`);
    if (result === 'read') {
      // Once per opened file: says when a backlog found at start or after a
      // rotation has been read (framed and handed on), for whoever waits on it.
      if (t.caughtUp && !t.endReported) {
        t.endReported = true;
        this.log.debug({ path: t.path, ino: t.ino, at: t.readOffset }, 'read to its end');
      }
      return true;
    }
    if (result === 'truncated') {
      await this.onTruncated(t);
      return true;
    }
    this.checkQuiet(t, now);
    return false;
  }

  /**
   * `afterShipping`: decides for each tailed file whether it is finished
   * (after-shipping.ts) and acts on those that are (finish-action.ts), one
   * at a time. `now` is monotonic ms.
   */
  private async finishTurn(now: number): Promise<void> {
    const finisher = this.finisher!;
    this.lookAtAll = true;
    const cfg = this.flow.afterShipping!;
    this.lastFinishAt = now;
    const live = [...this.tailers.values()].filter((t) => !t.gone);
    const siblings = new Siblings(live.map((t) => ({ path: t.path, mtimeMs: t.mtimeMs })));
    for (const key of this.finishViews.keys()) {
      if (!this.tailers.has(key)) {
        this.finishViews.delete(key);
        finisher.forget(key);
      }
    }
    for (const t of [...this.tailers.values()]) {
      if (this.stopped) return;
      const view = this.finishViews.get(t.key);
      if (view?.state === 'done') continue;
      if (view?.state === 'waiting' && view.retryAt !== undefined && now < view.retryAt) continue;
      const rotated = t.renamed ? 'renamed' : (t.rotatedAs ?? (siblings.extendsAnother(t.path) ? 'older-name' : undefined));
      const decision: FinishDecision = decideFinish({
        files: cfg.files,
        where: t.where.at,
        placed: t.kind !== 'placing' && t.kind !== 'held',
        skippedBelow: t.skippedBelow,
        rotated,
        newestInDirectory: siblings.isNewest(t.path),
        size: t.size,
        readOffset: t.readOffset,
        framed: t.framer.frontier,
        committed: t.tracker.committed,
        quietMillis: t.eofSince >= 0 ? now - t.eofSince : -1,
        sinceModifiedMillis: Date.now() - t.mtimeMs,
        periodMillis: cfg.quietMillis,
      });
      switch (decision.kind) {
        case 'live':
          this.finishViews.set(t.key, { state: 'live', why: decision.why });
          break;
        case 'not-yet':
          this.finishViews.set(t.key, { state: 'waiting', why: decision.why });
          break;
        case 'end-line':
          t.flushEnd();
          this.finishViews.set(t.key, { state: 'waiting', why: 'its last line was sent without a line end; waiting for its acknowledgement' });
          break;
        case 'finished': {
          this.finishViews.set(t.key, { state: 'acting' });
          const target = { key: t.key, dev: t.dev, ino: t.ino, path: t.path, fsPath: t.fsPath, size: t.size, prefix: t.prefix };
          const r = await finisher.act(target, decision.rotated, performance.now());
          if (r.kind === 'done') {
            this.finishViews.set(t.key, { state: 'done', why: r.file.to ? `renamed to ${r.file.to}` : 'deleted' });
            this.requestScan();
          } else if (r.kind === 'retry') {
            this.finishViews.set(t.key, { state: 'waiting', why: r.why, retryAt: r.retryAt });
          } else {
            this.finishViews.set(t.key, { state: 'waiting', why: r.why });
            t.nudge();
            this.requestScan();
          }
          break;
        }
      }
    }
  }

  /** Caught up: flush what waits on quiet, and let go of rotated-away files. */
  private checkQuiet(t: Tailer, now: number): void {
    if (t.eofSince < 0) return;
    const quiet = now - t.eofSince;
    if (t.framer.hasPendingMultiLine && quiet >= this.multiLineFlushMs) t.framer.flushMultiLine();
    if (this.letGoAfterGrace(t) && now - this.graceFrom(t) >= this.graceMs) {
      t.flushEnd();
      if (t.gone) void this.release(t);
      else if (t.framer.footerSeen) {
        // Finished by its footer: the descriptor goes; the entry stays so the
        // file is not taken up again while it is there.
        t.finish();
        void this.fds.close(t);
      }
    }
  }

  private async onTruncated(t: Tailer): Promise<void> {
    let prefix: Buffer = Buffer.alloc(0);
    try {
      if (t.fh) prefix = await readPrefix(t.fh, (await statHandle(t.fh)).size);
    } catch {
      /* read again on the next turn */
    }
    const epoch = t.restart(prefix);
    // Its copies and held candidates move with it.
    this.lookAtAll = true;
    this.log.info({ path: t.path, at: epoch.frontier }, 'file was truncated; reading it again from the start');
    await this.copies.truncated(t, epoch, performance.now());
  }

  private async release(t: Tailer): Promise<void> {
    if (this.tailers.get(t.key) !== t) return;
    this.tailers.delete(t.key);
    // Copies held for it are placed now.
    this.lookAtAll = true;
    await this.copies.originalGone(t);
    await this.fds.close(t);
    this.log.debug({ path: t.path, ino: t.ino }, 'let go of a rotated-away file read to its end');
  }

  /** Room for one more descriptor, or a warning (once) that every open file is busy. */
  private async makeRoom(): Promise<boolean> {
    if (await this.fds.makeRoom()) {
      this.cleared('maxOpen');
      return true;
    }
    this.warnOnce('maxOpen', { maxOpenFiles: this.fds.max }, 'open-file limit reached with every open file busy; more files wait their turn');
    return false;
  }

  private async reopen(t: Tailer): Promise<boolean> {
    if (!t.wantsService || this.stopped) return false;
    const r = await this.fds.reopen(t);
    if (r === 'moved') this.scanRequested = true;
    return r === 'open';
  }

  private async waitForRoom(): Promise<void> {
    while (this.backpressured && !this.stopped) {
      const drained = this.sink.drained().then(() => true);
      const woken = new Promise<boolean>((resolve) => {
        this.wake = () => resolve(false);
      });
      const done = await Promise.race([drained, woken]);
      this.wake = undefined;
      if (done) this.backpressured = false;
      // Keep finding files while paused: one created and deleted during an
      // outage must still be opened to be read later.
      else if (this.scanRequested) await this.scan();
    }
  }

  private sleep(ms: number): Promise<void> {
    this.sleepUntil = performance.now() + ms;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepUntil = -Infinity;
        resolve();
      };
      const timer = setTimeout(done, Math.ceil(ms));
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }

  private async scan(): Promise<void> {
    this.scanRequested = false;
    // Files found, moved, gone or asked to reopen: every file is looked at in the next turn.
    this.lookAtAll = true;
    this.capHit = false;
    const now = performance.now();
    this.lastScanAt = now;
    this.copies.invalidate(now);
    let paths: FilePath[];
    try {
      paths = await this.patterns.list();
    } catch (err) {
      this.warnOnce('scan', { err: String(err) }, 'cannot list files; will retry');
      return;
    }
    this.cleared('scan');
    this.watcher?.refresh();
    await this.checkRoots();
    const found = new Map<string, { paths: FilePath[]; st: FileStat }>();
    const stats = await statAll(paths);
    for (let i = 0; i < paths.length; i++) {
      const st = stats[i];
      if (!st || !st.isFile) continue;
      const seen = found.get(st.key);
      if (seen) seen.paths.push(paths[i]!);
      else found.set(st.key, { paths: [paths[i]!], st });
    }

    for (const t of this.tailers.values()) {
      const f = found.get(t.key);
      if (!f && !t.fh) {
        // Parked or finished, and gone: nothing of it can be read any more.
        this.tailers.delete(t.key);
        continue;
      }
      if (!f) {
        if (t.vanished()) this.log.debug({ path: t.path, ino: t.ino }, 'file gone from the patterns; reading it to its end');
        continue;
      }
      t.reappeared();
      if (!f.paths.some((p) => displayPath(p) === t.path)) t.moved(f.paths[0]!);
      if (t.kind === 'parked' && (f.st.size !== t.readOffset || f.st.mtimeMs !== t.mtimeMs)) t.wantOpen();
      this.store.touch(this.flow.id, t.dev, t.ino);
    }

    // A file read from empty has no first line until its turn reads one: a
    // copy of it found by this scan must still be known for one.
    if (this.firstScanDone && [...found.keys()].some((k) => !this.tailers.has(k))) {
      for (const t of this.tailers.values()) await t.refreshPrefix().catch(() => {});
      this.copies.invalidate(now);
    }

    // Entries as they were before this scan placed anything: a file started
    // over below must not hide what its entry said from its copy.
    let known: CheckpointEntry[] | undefined;
    // At start-up, files with a checkpoint of their own first: a file that
    // begins like one of them is a copy only if that one is no longer intact.
    const order = this.firstScanDone ? [...found] : [...found].sort(([a], [b]) => Number(this.hasEntry(b)) - Number(this.hasEntry(a)));
    for (const [key, f] of order) {
      if (this.tailers.has(key)) continue;
      known ??= this.store.entries(this.flow.id);
      if (this.stopped || !(await this.makeRoom())) {
        // Files wait for a descriptor: look again as soon as some go idle.
        this.capHit = true;
        if (!this.firstScanDone) for (const [k, g] of found) if (!this.tailers.has(k)) this.initialSizes.set(k, g.st.size);
        break;
      }
      await this.adopt(f.paths[0]!, f.st, known);
    }
    for (const k of this.initialSizes.keys()) if (!found.has(k)) this.initialSizes.delete(k);
    this.forgetVanished(new Set(paths.map(displayPath)));
    this.firstScanDone = true;
    this.copies.invalidate(now);
    this.updateGauges();
  }

  /**
   * A newly found file: open it at once (from then on no rename or delete
   * can take its bytes away), and decide where reading starts as soon as its
   * first line is there.
   */
  private async adopt(fsPath: FilePath, st: FileStat, known: CheckpointEntry[]): Promise<void> {
    const path = displayPath(fsPath);
    let fh;
    try {
      fh = await open(fsPath, 'r');
    } catch (err) {
      this.warnOnce(`open:${path}`, { path, err: String(err) }, 'cannot open file; will retry');
      return;
    }
    try {
      const real = await statHandle(fh);
      if (real.key !== st.key) {
        // Replaced between the listing and the open: the next scan sees it.
        await fh.close();
        this.scanRequested = true;
        return;
      }
      const prefix = await readPrefix(fh, real.size);
      const t = new Tailer(this.deps, fsPath, real, fh, prefix);
      this.cleared(`open:${path}`);
      this.tailers.set(t.key, t);
      this.fds.add(t);
      this.place(t, real, known);
      this.log.debug({ path, ino: t.ino, from: t.kind === 'reading' ? t.readOffset : t.kind }, 'tailing file');
    } catch (err) {
      await fh.close().catch(() => {});
      this.warnOnce(`open:${path}`, { path, err: String(err) }, 'cannot read file; will retry');
    }
  }

  /** A file found empty (or without a whole line) is placed once it has one. */
  private async tryPlace(t: Tailer): Promise<boolean> {
    if (!t.fh) return false;
    this.copies.invalidate(performance.now());
    const st = await statHandle(t.fh);
    t.size = st.size;
    t.mtimeMs = st.mtimeMs;
    t.prefix = await readPrefix(t.fh, st.size);
    return this.place(t, st, []);
  }

  /**
   * Decides where reading of `t` starts (placement.ts) and acts on it; false
   * when it must wait for more of the file. `checkpoints`: the flow's
   * entries before this scan placed anything (used at start-up only).
   */
  private place(t: Tailer, st: FileStat, known: readonly CheckpointEntry[]): boolean {
    const running = this.firstScanDone;
    // A checkpointed file still there with the content its checkpoint names
    // was not truncated: one that begins like it is a look-alike, not its copy.
    const checkpoints = running ? [] : known.filter((e) => !this.intact(e));
    const now = performance.now();
    const decision = decidePlacement({
      prefix: t.prefix,
      size: st.size,
      atStartup: !running,
      gone: t.gone,
      entry: this.store.get(this.flow.id, t.dev, t.ino),
      checkpoints,
      liveOriginal: running ? this.copies.liveOriginalOf(t) : undefined,
      truncatedOriginal: running ? this.copies.truncatedOriginalOf(t) : undefined,
      flowHasRun: this.flowHasRun,
      initialPosition: this.flow.initialPosition,
      sizeAtStartup: this.initialSizes.get(t.key),
    });
    switch (decision.kind) {
      case 'wait':
        return false;
      case 'hold':
        this.copies.hold(t, decision.original, now);
        break;
      case 'after-truncated':
        this.copies.continueFrom(t, decision.epoch, st.size);
        break;
      case 'start':
        t.place(0);
        break;
      case 'copy-of-checkpoint':
        t.rotatedAs = 'copy';
        t.skippedBelow = decision.skippedBelow ?? 0;
        t.place(decision.offset);
        break;
      case 'resume':
        if (!running && this.movedWhileStopped(t)) t.rotatedAs = 'renamed-since-checkpoint';
        t.skippedBelow = Math.min(this.store.get(this.flow.id, t.dev, t.ino)?.skippedBelow ?? 0, decision.offset);
        t.place(decision.offset);
        break;
      case 'end':
        t.skippedBelow = decision.offset;
        t.place(decision.offset);
        break;
    }
    this.initialSizes.delete(t.key);
    if (t.kind === 'reading') this.copies.reading(t);
    this.log.debug({ path: t.path, ino: t.ino, placement: decision.kind, at: t.kind === 'reading' ? t.readOffset : undefined }, 'placed');
    return true;
  }

  /** Found at start renamed away from its checkpoint's name, which no longer leads to it: rotated while the agent was away. */
  private movedWhileStopped(t: Tailer): boolean {
    const e = this.store.get(this.flow.id, t.dev, t.ino);
    return e !== undefined && e.path !== t.path && renamedAway(e.path, t.path) && pathIdentitySync(e.path) !== t.key;
  }

  private hasEntry(key: string): boolean {
    const [dev, ino] = key.split(':') as [string, string];
    return this.store.get(this.flow.id, dev, ino) !== undefined;
  }

  /** Is the file of checkpoint `e` open here with the first bytes and at least the length the checkpoint names? */
  private intact(e: CheckpointEntry): boolean {
    const t = this.tailers.get(identityKey(e.dev, e.ino));
    return t !== undefined && matchesStored(t.prefix, e.fingerprint, e.fingerprintBytes) && t.size >= e.offset;
  }

  private updateGauges(now = performance.now()): void {
    let behind = 0;
    let filesBehind = 0;
    for (const t of this.tailers.values()) {
      const b = Math.max(0, t.size - t.tracker.committed);
      behind += b;
      if (b > 0) filesBehind++;
    }
    this.metrics.bytesBehind = behind;
    this.metrics.filesBehind = filesBehind;
    this.metrics.filesTracked = this.tailers.size;
    this.lastGauges = { at: now, filesBehind, filesTracked: this.tailers.size };
  }

  /**
   * A directory the agent may not enter hides its files as if there were
   * none: say so (once per place) rather than ship nothing without a word.
   */
  private async checkRoots(): Promise<void> {
    for (const r of this.patterns.roots) {
      try {
        // A plain path: its directories must let us in; a glob: its base must be listable.
        await access(r.base, r.glob === '' ? constants.F_OK : constants.R_OK | constants.X_OK);
        this.cleared(`denied:${r.base}`);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EACCES' || code === 'EPERM') {
          this.warnOnce(`denied:${r.base}`, { path: r.base, err: String(err) }, 'cannot see files here: permission denied; will retry');
        }
      }
    }
  }

  /**
   * A condition a person may have to fix (an unreadable file, a directory
   * the agent may not enter): logged once per change and listed on /status
   * until it clears (src/events/conditions.ts).
   */
  private warnOnce(key: string, obj: { err?: string; [k: string]: unknown }, msg: string): void {
    this.warned.add(key);
    const state = /\b(E[A-Z]{2,})\b/.exec(obj.err ?? '')?.[1] ?? (key === 'maxOpen' ? 'LIMIT' : 'FAILING');
    this.metrics.conditions.raise(key, { state, message: msg, fields: obj });
  }

  private cleared(key: string): void {
    if (this.warned.delete(key)) this.metrics.conditions.clear(key);
  }

  /** Conditions about files no longer tailed nor listed are dropped: what they were about is gone. */
  private forgetVanished(listed: Set<string>): void {
    for (const key of this.warned) {
      const gone = key.startsWith('read:') ? !this.tailers.has(key.slice(5)) : key.startsWith('open:') ? !listed.has(key.slice(5)) : false;
      if (!gone) continue;
      this.warned.delete(key);
      this.metrics.conditions.forget(key);
    }
  }
}
