// Keeps the learner's workspace across machine restarts. While the machine runs, every change the
// sync sees (editor saves, files the shell made or deleted) is recorded in the browser's copy.
// When the machine comes back (Reset, "Start fresh", a checkpoint, a first visit after clearing
// the caches), the copy is put back before anything is recorded again: otherwise the fresh,
// empty workspace would be recorded first and wipe the copy.
import type { MachineEvent, MachinePhase } from "../vm/protocol.ts";
import type { WorkspaceMirror, MirrorSummary } from "./mirror.ts";
import type { WorkspaceSync } from "./sync.ts";

export interface MachineEvents {
  on(listener: (event: MachineEvent) => void): () => void;
}

const PUT_BACK_ATTEMPTS = 3;
const PUT_BACK_RETRY_MS = 5000;

/** Phases that mean a new machine is on its way: its workspace is not the one recorded. */
const RESTARTING: MachinePhase[] = ["idle", "downloading", "restoring", "booting"];

export interface KeeperReport {
  /** Files written back into the guest by the last put-back. */
  putBack: string[];
  summary: MirrorSummary;
  /** True when this report ends a put-back after a start (the workspace is the learner's again). */
  settled: boolean;
}

export class WorkspaceKeeper {
  /** True once the running machine's workspace was reconciled with the copy. */
  settled = false;
  #queue: Promise<unknown> = Promise.resolve();
  #offs: (() => void)[] = [];
  #settling: Promise<void> | undefined;
  #disposed = false;
  /** Counts machine restarts. */
  #generation = 0;

  constructor(
    readonly sync: WorkspaceSync,
    readonly mirror: WorkspaceMirror,
    machine: MachineEvents,
    readonly hooks: {
      /** The copy changed or was put back. */
      onReport?: (report: KeeperReport) => void;
      onError?: (error: unknown) => void;
    } = {},
  ) {
    this.#offs.push(
      sync.onChange((entries) => {
        // A listing made before a restart must not be recorded after it.
        const generation = this.#generation;
        if (this.settled)
          this.#enqueue(async () => {
            if (this.settled && generation === this.#generation) await this.#record(entries, []);
          });
      }),
      machine.on((event) => {
        if (event.type === "progress" && RESTARTING.includes(event.progress.phase)) {
          this.settled = false;
          this.#generation++;
        }
        const ready =
          (event.type === "progress" && event.progress.phase === "ready") ||
          (event.type === "agent" && event.event.event === "dockerd" && event.event.up);
        if (ready && !this.settled) void this.settle();
      }),
    );
  }

  /**
   * Puts the copy back into the running machine's workspace, then records the result. Call it
   * once the machine is ready (the keeper does so itself on every later start).
   */
  settle(): Promise<void> {
    this.#settling ??= this.#enqueue(async () => {
      try {
        // One listing, or two when files were put back: right after a restore each one is a
        // command that keeps the guest busy for seconds, while the learner types a first command.
        const files = this.sync.files;
        const { before, written } = await this.#withRetries(async () => {
          const before = await files.list();
          return { before, written: await this.mirror.putBack(files, before) };
        });
        if (this.#disposed) return;
        const entries = written.length > 0 ? await files.list() : before;
        this.settled = true;
        // The Files tab shows the put-back files before the report says they are back.
        this.sync.accept(entries);
        await this.#record(entries, written, true);
      } finally {
        this.#settling = undefined;
      }
    });
    return this.#settling;
  }

  /** Records the guest's workspace now (after an upload, or a test's own write). */
  record(): Promise<void> {
    return this.#enqueue(async () => {
      if (this.settled) await this.#record(await this.sync.files.list(), []);
    });
  }

  /** Resolves once everything queued so far is recorded. */
  idle(): Promise<void> {
    return this.#queue.then(() => {});
  }

  dispose(): void {
    this.#disposed = true;
    for (const off of this.#offs) off();
  }

  async #record(
    entries: Parameters<WorkspaceMirror["record"]>[0],
    putBack: string[],
    settled = false,
  ) {
    const summary = await this.mirror.record(entries, (path) => this.sync.files.read(path));
    this.hooks.onReport?.({ putBack, summary, settled });
  }

  /**
   * A machine just restored can be too busy to answer in time (its first commands page the
   * engine in): a put-back that failed is tried again twice before the error is reported.
   */
  async #withRetries<T>(job: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await job();
      } catch (error) {
        if (attempt >= PUT_BACK_ATTEMPTS || this.#disposed) throw error;
        await new Promise((resolve) => setTimeout(resolve, PUT_BACK_RETRY_MS * attempt));
      }
    }
  }

  #enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(job).catch((error: unknown) => {
      this.hooks.onError?.(error);
    });
    this.#queue = run;
    return run;
  }
}
