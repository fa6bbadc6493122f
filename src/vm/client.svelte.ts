import * as Comlink from "comlink";
import type {
  CheckpointInfo,
  AgentRequest,
  AgentReply,
  GuestHttpRequest,
  GuestHttpResponse,
  LearnerPort,
  MachineEvent,
  MachinePhase,
  MachineProgress,
  MachineStats,
  MachineWorkerApi,
} from "./protocol.ts";

/** How the client reaches a worker; injected so tests can hand it a MessagePort pair. */
export interface WorkerLink {
  api: Comlink.Remote<MachineWorkerApi>;
  close(): void;
}

export function connectWorker(): WorkerLink {
  // Vite bundles the worker only for this exact `new Worker(new URL(..., import.meta.url))` shape.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  const worker = new Worker(new URL("./worker/machine.worker.ts", import.meta.url), {
    type: "module",
    name: "machine",
  });
  const api = Comlink.wrap<MachineWorkerApi>(worker);
  return {
    api,
    close() {
      api[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}

type OutputListener = (data: Uint8Array) => void;

/** Output that arrives before a terminal is attached is kept, up to this many bytes per port. */
const EARLY_OUTPUT_LIMIT = 256 * 1024;

/** The UI's reactive handle on the machine in the worker. */
export class MachineClient {
  phase = $state<MachinePhase>("idle");
  progress = $state<MachineProgress>({ phase: "idle" });
  stats = $state<MachineStats | undefined>(undefined);
  /** Where the saved state came from on this start. */
  source = $state<"network" | "cache" | undefined>(undefined);
  /** False when storage refused the cache (quota, private mode): the next visit downloads again. */
  caching = $state(true);
  error = $state<string | undefined>(undefined);
  /** The guest console's last line, shown while it boots so a slow start is visibly alive. */
  consoleLine = $state("");
  /** How much of the guest's disk is saved on this device (bytes); `ready`: works offline. */
  offline = $state<{ stored: number; total: number; ready: boolean } | undefined>(undefined);
  /** performance.now() when the agent first answered; the e2e test and bench read it. */
  readyAt = $state<number | undefined>(undefined);
  /** Saved machine states in this browser, newest first (the automatic resume one included). */
  checkpoints = $state.raw<CheckpointInfo[]>([]);
  /** A checkpoint is being written right now. */
  savingCheckpoint = $state(false);
  /** When this start continued the learner's last session: when that was saved. */
  resumedFrom = $state<number | undefined>(undefined);
  /** Counts starts from a saved session or a checkpoint (the terminals redraw their prompts). */
  restores = $state(0);

  percent = $derived(
    this.progress.total && this.progress.loaded !== undefined
      ? Math.min(100, Math.round((this.progress.loaded / this.progress.total) * 100))
      : undefined,
  );

  #link: WorkerLink | undefined;
  #connect: () => WorkerLink;
  // Plumbing, not UI state: listeners and buffered bytes must not be reactive.
  /* eslint-disable svelte/prefer-svelte-reactivity */
  #listeners = new Map<LearnerPort, Set<OutputListener>>();
  #early = new Map<LearnerPort, Uint8Array[]>();
  #eventListeners = new Set<(event: MachineEvent) => void>();
  /* eslint-enable svelte/prefer-svelte-reactivity */
  #statsTimer: ReturnType<typeof setInterval> | undefined;
  #statsIntervalMs: number;
  #disposed = false;

  constructor(connect: () => WorkerLink = connectWorker, { statsIntervalMs = 3000 } = {}) {
    this.#connect = connect;
    this.#statsIntervalMs = statsIntervalMs;
  }

  async start(): Promise<void> {
    this.error = undefined;
    this.#link?.close();
    this.#link = this.#connect();
    try {
      await this.#link.api.start(Comlink.proxy((event: MachineEvent) => this.handle(event)));
      this.#pollStats();
    } catch (error) {
      this.fail(error);
    }
  }

  /** Applies one machine event; public so recorded event streams can drive it in tests. */
  handle(event: MachineEvent): void {
    if (this.#disposed) return;
    switch (event.type) {
      case "progress": {
        const progress = event.progress;
        this.progress = progress;
        this.phase = progress.phase;
        if ("source" in progress && (progress.source === "cache" || progress.source === "network"))
          this.source = progress.source;
        if ("caching" in progress && progress.caching === false) this.caching = false;
        if (progress.phase === "ready" && this.readyAt === undefined)
          this.readyAt = globalThis.performance?.now();
        if (progress.phase === "error" || progress.phase === "crashed")
          this.error = progress.message ?? this.error;
        break;
      }
      case "output":
        this.#deliver(event.port, event.data);
        break;
      case "agent":
        if (event.event.event === "dockerd" && this.phase !== "crashed")
          this.phase = event.event.up ? "ready" : "starting-engine";
        break;
      case "console":
        if (event.text.trim()) this.consoleLine = event.text.slice(0, 200);
        break;
      case "offline":
        this.offline = { stored: event.stored, total: event.total, ready: event.ready };
        break;
      case "checkpoints":
        this.checkpoints = event.list;
        this.savingCheckpoint = event.saving;
        break;
      case "resumed":
        this.resumedFrom = event.savedAt;
        this.restores++;
        break;
    }
    for (const listener of this.#eventListeners) listener(event);
  }

  /** Every machine event, agent events included: makes the client an `AgentSource` for the engine. */
  on(listener: (event: MachineEvent) => void): () => void {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  fail(error: unknown): void {
    this.phase = "error";
    this.error = error instanceof Error ? error.message : String(error);
  }

  /** Subscribes a terminal to one port; replays what it missed before attaching. */
  onOutput(port: LearnerPort, listener: OutputListener): () => void {
    let set = this.#listeners.get(port);
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    if (!set) this.#listeners.set(port, (set = new Set()));
    set.add(listener);
    for (const chunk of this.#early.get(port) ?? []) listener(chunk);
    this.#early.delete(port);
    return () => set.delete(listener);
  }

  write(port: LearnerPort, data: Uint8Array): void {
    void this.#link?.api.write(port, Comlink.transfer(data, [data.buffer as ArrayBuffer]));
  }

  async resize(port: LearnerPort, rows: number, cols: number): Promise<void> {
    if (this.phase !== "ready" && this.phase !== "busy") return;
    await this.#link?.api.resize(port, rows, cols);
  }

  async agent(request: AgentRequest): Promise<AgentReply> {
    if (!this.#link) throw new Error("The machine is not started.");
    return this.#link.api.agent(request);
  }

  /** HTTP to a port the guest publishes; failures (refused, reset, timeout) come back as values. */
  async http(port: number, request: GuestHttpRequest): Promise<GuestHttpResponse> {
    if (!this.#link) return { ok: false, reason: "error", message: "The machine is not started." };
    return this.#link.api.http(port, request);
  }

  /** Restores the base state; terminals stay attached and see the fresh prompt. */
  async reset(): Promise<void> {
    if (!this.#link) return this.start();
    const api = this.#link.api;
    await this.#restoring(() => api.reset());
  }

  /** Saves the running machine under a name the learner chose. Rejects with a plain message. */
  async saveCheckpoint(name: string): Promise<CheckpointInfo> {
    if (!this.#link) throw new Error("The machine is not started.");
    return this.#link.api.saveCheckpoint(name);
  }

  /** Goes back to a checkpoint; like a reset, but to that moment instead of the base state. */
  async restoreCheckpoint(id: string): Promise<void> {
    if (!this.#link) return;
    this.resumedFrom = undefined;
    try {
      await this.#link.api.restoreCheckpoint(id);
      this.restores++;
    } catch (error) {
      // Refused before the machine stopped (no such checkpoint, damaged): the caller says so.
      if (this.phase === "ready" || this.phase === "busy") throw error;
      this.fail(error);
    }
  }

  async deleteCheckpoint(id: string): Promise<void> {
    await this.#link?.api.deleteCheckpoint(id);
  }

  /** A lesson step became current: the worker keeps its start as the step checkpoint. */
  markStepStart(lessonId: string, stepId: string): void {
    void this.#link?.api.markStepStart(lessonId, stepId).catch(() => {});
  }

  /** The page is being hidden or closed: keep what the learner did for the next visit. */
  saveForResume(): void {
    void this.#link?.api.saveForResume().catch(() => {});
  }

  async #restoring(run: () => Promise<void>): Promise<void> {
    this.error = undefined;
    this.readyAt = undefined;
    this.resumedFrom = undefined;
    this.phase = "restoring";
    this.progress = { phase: "restoring" };
    try {
      await run();
    } catch (error) {
      this.fail(error);
    }
  }

  async refreshStats(): Promise<void> {
    if (!this.#link || (this.phase !== "ready" && this.phase !== "busy")) return;
    try {
      this.stats = await this.#link.api.stats();
    } catch {
      // A busy guest may not answer in time; the next poll tries again.
    }
  }

  #pollStats(): void {
    clearInterval(this.#statsTimer);
    void this.refreshStats();
    this.#statsTimer = setInterval(() => void this.refreshStats(), this.#statsIntervalMs);
  }

  #deliver(port: LearnerPort, data: Uint8Array): void {
    const set = this.#listeners.get(port);
    if (set && set.size > 0) {
      for (const listener of set) listener(data);
      return;
    }
    const early = this.#early.get(port) ?? [];
    early.push(data);
    let size = early.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    while (size > EARLY_OUTPUT_LIMIT && early.length > 1) size -= early.shift()!.byteLength;
    this.#early.set(port, early);
  }

  dispose(): void {
    this.#disposed = true;
    clearInterval(this.#statsTimer);
    const link = this.#link;
    this.#link = undefined;
    if (link) {
      void link.api
        .dispose()
        .catch(() => {})
        .finally(() => link.close());
    }
    this.#listeners.clear();
    this.#early.clear();
    this.#eventListeners.clear();
  }
}
