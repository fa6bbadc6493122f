import { guest, state } from "virtual:guest";
import wasmUrl from "v86/build/v86.wasm?url";
import type { V86Image } from "v86";
import { Machine } from "../machine.ts";
import { warmUp } from "../warmup.ts";
import type {
  CheckpointInfo,
  MachineFault,
  DiskPack,
  AgentReply,
  AgentRequest,
  GuestFile,
  LearnerPort,
  MachineEvent,
  MachinePhase,
  MachineProgress,
  MachineStats,
  MachineWorkerApi,
} from "../protocol.ts";
import { download, sha256Hex } from "./download.ts";
import { readHotStream } from "./hotset.ts";
import { fromRuns, PersistentDisk } from "./disk.ts";
import { IdbChunkStore, SavedStateStore, dropOtherDisks, isQuotaError } from "./storage.ts";
import {
  CheckpointError,
  CheckpointStore,
  RESUME,
  STEP,
  namedId,
  stepName,
} from "./checkpoints.ts";
import { workerCodec } from "./checkpoint-codec.ts";
import { attachBrowserRegistry } from "../registry/attach.ts";
import { missingImageAdvice } from "../registry/advice.ts";
import { guestHttp } from "../preview/guest.ts";
import type { GuestHttpRequest, GuestHttpResponse } from "../protocol.ts";

/** Checkpoints: chunked, hashed and compressed in a worker of their own (checkpoint-codec.ts). */
const checkpointCodec = workerCodec();

/** URL of a guest artifact, relative to the app (works under any static host path). */
function vmUrl(path: string): string {
  return new URL(`${import.meta.env.BASE_URL}vm/${path}`, self.location.origin).href;
}

/** Health check cadence after ready: a slow answer means busy, a stopped emulator crashed. */
const HEALTH_INTERVAL_MS = 4000;
const BUSY_AFTER_MS = 2500;
/**
 * The resume checkpoint is saved once the learner has changed something and then paused this
 * long (no typing, no output): saving stops the guest for a moment, so never mid-typing.
 */
const RESUME_AFTER_QUIET_MS = 8000;
/** A resumed machine that does not get ready this fast is given up for the base state. */
const RESUME_READY_TIMEOUT_MS = 90_000;
/** A warm-up round starts only after the learner's terminals were this quiet. */
const WARMUP_AFTER_QUIET_MS = 3000;
/** Preloaded disk chunks the guest has not read by then are let go (see #preloadFirstLook). */
const PRELOAD_KEEP_MS = 120_000;
/**
 * A checkpoint waits for this much terminal quiet (up to SAVE_QUIET_MAX_MS), so it does not cut
 * into a burst of output. (It once was 1 s: a state saved mid-output came back with that terminal
 * mute. That was a lost serial interrupt, which Machine's watchdog now raises again; a state saved
 * amid `seq 1 3000` restores with a working terminal, `scripts/dev/midoutput-save.mts`.)
 */
const SAVE_QUIET_MS = 250;
const SAVE_QUIET_MAX_MS = 10_000;
/**
 * A command typed (Enter) and not yet reported counts as running for at most this long: an
 * interactive program (`docker run -it`, an editor) reports only when it ends.
 */
const COMMAND_RUNNING_MAX_MS = 60_000;
/** A step's starting checkpoint is taken after this much quiet, if nothing was typed first. */
const STEP_AFTER_QUIET_MS = 2000;

type Emit = (event: MachineEvent) => void;

/** A lesson step's start, waiting for quiet to be saved as the STEP checkpoint. */
interface StepMark {
  name: string;
  typed: number;
  timer?: ReturnType<typeof setTimeout>;
}

/** The worker's side of MachineWorkerApi: boot flow, caches, and the running machine. */
export class MachineHost implements MachineWorkerApi {
  #machine: Machine | undefined;
  #disk: PersistentDisk | undefined;
  #emit: Emit = () => {};
  #abort = new AbortController();
  #states = new SavedStateStore();
  #stateInMemory: Uint8Array | undefined; // only when storage refused it
  #caching = true;
  #health: ReturnType<typeof setInterval> | undefined;
  #dropPreloaded: ReturnType<typeof setTimeout> | undefined;
  #phase: MachinePhase = "idle";
  #registry: { dispose(): void } | undefined;
  #downloads = new Map<string, { loaded: number; total: number }>();
  #bootPackDone: Promise<void> = Promise.resolve();
  #t0 = 0;
  #checkpoints: CheckpointStore | undefined;
  /** Something changed in the guest since the resume checkpoint was saved. */
  #dirty = false;
  /** A warm-up step runs in the guest: automatic checkpoints wait for it to end. */
  #warming = false;
  #quiet: ReturnType<typeof setTimeout> | undefined;
  /** performance.now() of the last typing or terminal output. */
  #lastActivity = 0;
  /** performance.now() of the last Enter per terminal whose command has not reported yet. */
  #running = new Map<LearnerPort, number>();
  /** Bytes typed so far: a step mark is stale once the learner typed after it. */
  #typed = 0;
  #stepMark: StepMark | undefined;
  /** Faults of this start the worker already fixed: see #tellFixed. */
  #fixed: MachineFault[] = [];
  /** One save at a time; a restore waits for it. */
  #saving: Promise<unknown> = Promise.resolve();

  /** A line per start phase in the console (debug level): where a slow start spends its time. */
  #mark(what: string): void {
    console.debug(`[machine] ${what} at ${Math.round(performance.now() - this.#t0)} ms`);
  }

  async start(onEvent: Emit): Promise<void> {
    this.#emit = onEvent;
    this.#t0 = performance.now();
    this.#abort.abort();
    this.#abort = new AbortController();
    const signal = this.#abort.signal;
    await this.#stopMachine();
    if (!guest)
      throw new Error(
        "The guest is not built. Run `npm run build:guest && npm run build:state` (or `npm start`).",
      );
    this.#downloads.clear();
    this.#fixed = [];
    const disk = await this.#openDisk();
    this.#disk = disk;
    this.#mark(`disk open, ${disk.storedChunks} chunks stored`);
    const resume = await this.#loadResume();
    const [stateBytes, bioses] = await Promise.all([
      resume ? undefined : this.#loadState(signal).finally(() => this.#mark("state loaded")),
      this.#loadBioses(signal),
      this.#loadBootPack(disk, signal).finally(() => this.#mark("boot pack")),
    ]);
    if (resume) {
      try {
        await this.#run(resume.state, bioses, signal, RESUME_READY_TIMEOUT_MS);
        this.#emit({ type: "resumed", savedAt: resume.savedAt });
        return;
      } catch (error) {
        if (signal.aborted) throw error;
        // Never a dead end: the base state always works, and the learner is told why.
        const why = (error as Error).message.split("\n")[0];
        console.warn("resume failed:", error);
        await this.#checkpoints?.remove(RESUME).catch(() => {});
        this.#fixed.push({
          kind: "resume-failed",
          severity: "fixed",
          message: `Your last session could not be restored (${why}); started fresh.`,
        });
        await this.#stopMachine();
      }
    }
    await this.#run(stateBytes ?? (await this.#loadState(signal)), bioses, signal);
  }

  /**
   * What went wrong during this start and was dealt with, told once the machine is up (a notice
   * sent earlier would be cleared by the restore that follows it).
   */
  #tellFixed(): void {
    for (const fault of this.#fixed.splice(0)) this.#emit({ type: "fault", fault });
  }

  write(port: LearnerPort, data: Uint8Array): void {
    this.#machine?.write(port, data);
    this.#dirty = true;
    this.#typed += data.byteLength;
    if (data.includes(13) || data.includes(10)) this.#running.set(port, performance.now());
    this.#active();
  }

  async resize(port: LearnerPort, rows: number, cols: number): Promise<void> {
    await this.#machine?.resize(port, rows, cols);
  }

  async agent(request: AgentRequest): Promise<AgentReply> {
    if (!this.#machine) throw new Error("The machine is not running.");
    return this.#machine.agent(request);
  }

  async stats(): Promise<MachineStats> {
    if (!this.#machine) throw new Error("The machine is not running.");
    const stats = await this.#machine.stats();
    return { ...stats, diskBytesFetched: this.#disk?.counters.networkBytes ?? 0 };
  }

  /** HTTP to a port the guest publishes (the preview pane, lesson checks). */
  async http(port: number, request: GuestHttpRequest): Promise<GuestHttpResponse> {
    if (!this.#machine)
      return { ok: false, reason: "error", message: "The machine is not running." };
    return guestHttp(this.#machine.emulator as never, port, request);
  }

  /** Back to the saved base state: containers and files made since are gone. */
  async reset(): Promise<void> {
    const signal = await this.#restart();
    // The next visit starts from the base state too, not from what was just thrown away.
    this.#dirty = false;
    await this.#checkpoints?.remove(RESUME).catch(() => {});
    const [stateBytes, bioses] = await Promise.all([
      this.#loadState(signal),
      this.#loadBioses(signal),
    ]);
    await this.#run(stateBytes, bioses, signal);
    await this.#announceCheckpoints();
  }

  async saveCheckpoint(name: string): Promise<CheckpointInfo> {
    const valid = CheckpointStore.validName(name);
    return this.#save(namedId(valid), valid);
  }

  async restoreCheckpoint(id: string): Promise<void> {
    const store = this.#requireCheckpoints();
    await this.#saving.catch(() => {});
    const state = await this.#loadCheckpoint(store, id);
    if (!state) throw new CheckpointError("That checkpoint no longer exists.");
    const signal = await this.#restart();
    const bioses = await this.#loadBioses(signal);
    await this.#run(state, bioses, signal, RESUME_READY_TIMEOUT_MS);
    // What runs now differs from the resume checkpoint: save it at the next pause.
    this.#dirty = true;
    this.#active();
  }

  async deleteCheckpoint(id: string): Promise<void> {
    await this.#requireCheckpoints().remove(id);
    await this.#announceCheckpoints();
  }

  async checkpoints(): Promise<CheckpointInfo[]> {
    return (await this.#checkpoints?.list()) ?? [];
  }

  async saveForResume(): Promise<void> {
    if (this.#dirty) await this.#saveResume({ now: true });
  }

  async markStepStart(lessonId: string, stepId: string): Promise<void> {
    if (!this.#checkpoints) return;
    clearTimeout(this.#stepMark?.timer);
    this.#stepMark = { name: stepName(lessonId, stepId), typed: this.#typed };
    this.#active();
  }

  async dispose(): Promise<void> {
    clearTimeout(this.#quiet);
    clearTimeout(this.#stepMark?.timer);
    this.#abort.abort();
    await this.#disk?.flush();
    await this.#stopMachine();
  }

  // ---------------------------------------------------------------------------------------------

  async #run(
    stateBytes: Uint8Array | ArrayBuffer | undefined,
    bioses: { bios: Uint8Array; vgaBios: Uint8Array },
    signal: AbortSignal,
    readyTimeoutMs?: number,
  ): Promise<void> {
    const manifest = guest!;
    const disk = this.#disk!;
    this.#preloadFirstLook(disk);
    // With a saved state the kernel and initrd are already in guest memory: no need to fetch them.
    // Without one (no state built) the machine boots, from cached copies after the first visit.
    let boot: { kernel?: V86Image; initrd?: V86Image } = {};
    if (!stateBytes) {
      this.#progress({
        phase: "booting",
        source: disk.storedChunks > 0 ? "cache" : "network",
        caching: this.#caching,
      });
      const [kernel, initrd] = await Promise.all([
        this.#cachedFile(manifest.files.kernel, signal),
        this.#cachedFile(manifest.files.initrd, signal),
      ]);
      boot = {
        kernel: { buffer: toArrayBuffer(kernel) },
        initrd: { buffer: toArrayBuffer(initrd) },
      };
    }
    const machine = new Machine({
      assets: {
        wasmPath: wasmUrl,
        bios: { buffer: toArrayBuffer(bioses.bios) },
        vgaBios: { buffer: toArrayBuffer(bioses.vgaBios) },
        kernel: boot.kernel as V86Image,
        initrd: boot.initrd as V86Image,
        // v86 takes any object with load/get/set as a disk (see src/vm/worker/disk.ts).
        rootfs: disk as unknown as V86Image,
      },
      memoryMb: manifest.memoryMb,
      cmdline: manifest.cmdline,
      initialState:
        stateBytes instanceof ArrayBuffer
          ? stateBytes
          : stateBytes
            ? toArrayBuffer(stateBytes)
            : undefined,
      readyTimeoutMs,
    });
    this.#machine = machine;
    await this.#attachRegistry(machine, signal);
    machine.on((event) => {
      if (event.type === "progress") {
        this.#mark(event.progress.phase);
        this.#phase = event.progress.phase;
        this.#progress(event.progress);
        return;
      }
      this.#emit(event);
      // Only the learner's own doing counts as a change: the warm-up's docker events do not.
      if (event.type === "output") this.#active();
      else if (event.type === "agent" && event.event.event === "command") {
        const c = disk.counters;
        this.#mark(
          `command done (disk: ${c.memoryHits} memory hits, ${c.slowReads} slow reads ` +
            `waiting ${Math.round(c.slowReadMs)} ms, ${c.storeReads} store reads)` +
            (machine.uartKicks > 0 ? `; serial interrupts raised again: ${machine.uartKicks}` : ""),
        );
        this.#running.delete(event.event.port);
        this.#dirty = true;
        this.#active();
      }
    });
    await machine.start({ signal });
    this.#tellFixed();
    this.#watchHealth(machine);
    void this.#announceCheckpoints();
    // v86's JIT is cold after a restore: a hidden run now, while the first lesson is read,
    // keeps the learner's first `docker run` from paying for it.
    if (!signal.aborted) void this.#afterReady(machine, disk, signal);
  }

  /**
   * The chunks a learner's first `docker ps` and friends read, from this browser's store into
   * memory while the state restores, then those a first `docker run` reads (on a first visit
   * they are not stored yet: nothing to do). What the guest has not read two minutes later is
   * let go.
   */
  #preloadFirstLook(disk: PersistentDisk): void {
    clearTimeout(this.#dropPreloaded);
    if (!state?.lookChunks || disk.storedChunks === 0) return;
    const { lookChunks, warmChunks } = state;
    void (async () => {
      this.#mark(`first look preloaded (${await disk.preload(fromRuns(lookChunks))} chunks)`);
      if (warmChunks)
        this.#mark(`first run preloaded (${await disk.preload(fromRuns(warmChunks))} chunks)`);
      this.#dropPreloaded = setTimeout(() => disk.dropPreloaded(), PRELOAD_KEEP_MS);
    })();
  }

  /**
   * Right after ready: the chunks the warm-up reads (one stream, not hundreds of Range
   * requests), the warm-up itself, then the rest of the disk so later visits need no network.
   */
  async #afterReady(machine: Machine, disk: PersistentDisk, signal: AbortSignal): Promise<void> {
    // The terminals redraw their prompts now: the warm-up waits until that is done and quiet.
    this.#lastActivity = performance.now();
    await this.#fetchPack(state?.warmPack, disk, signal, { remember: true });
    this.#mark("warm pack");
    if (signal.aborted) return;
    try {
      let step = 0;
      const spent = await warmUp(machine, {
        beforeStep: async () => {
          await this.#learnerPause(WARMUP_AFTER_QUIET_MS, signal, true);
          // The learner's work first: the resume save waits for steps, so it goes before one
          // (else the steps would put it off until the warm-up is over).
          if (this.#dirty) await this.#saveResume();
          await this.#saving.catch(() => {}); // never half a step in a checkpoint
          this.#warming = true;
          this.#mark(`warm-up step ${++step}`);
        },
        afterStep: () => (this.#warming = false),
        signal,
      });
      this.#mark(`warm-up (${spent} ms running)`);
    } catch (error) {
      this.#emit({ type: "console", text: `warm-up: ${(error as Error).message}` });
    }
    if (!signal.aborted) await this.#completeOffline(disk, signal);
  }

  /**
   * After the first start, the rest of the used disk arrives in the background as one gzip
   * stream, so every later visit (and this one, once done) works with no network at all.
   */
  async #completeOffline(disk: PersistentDisk, signal: AbortSignal): Promise<void> {
    const total = disk.usedChunkCount * disk.chunkSize;
    const report = (ready: boolean) =>
      this.#emit({
        type: "offline",
        stored: Math.min(total, disk.storedChunks * disk.chunkSize),
        total,
        ready,
      });
    if (!state?.restPack || !this.#caching) return;
    if (disk.complete) return report(true);
    report(false);
    await this.#fetchPack(state.restPack, disk, signal, {
      remember: false,
      // The disk's own count decides here, not the marker (a chunk may have been dropped).
      force: true,
      onBatch: () => report(false),
    });
    report(disk.complete);
  }

  /**
   * Adds one disk pack (a gzip stream of chunks) to the disk's store. Skipped when every chunk
   * is already there; never fatal: chunks not stored are fetched when the guest reads them.
   */
  async #fetchPack(
    pack: DiskPack | undefined,
    disk: PersistentDisk,
    signal: AbortSignal,
    opts: {
      remember: boolean;
      force?: boolean;
      onProgress?: (loaded: number) => void;
      onBatch?: () => void;
    },
  ): Promise<void> {
    if (!pack || pack.chunks === 0) return;
    // A marker per pack: its chunks went into the store (they stay as long as the marker does).
    const marker = `pack:${pack.file}`;
    if (
      !opts.force &&
      disk.storedChunks > 0 &&
      (await this.#states.get(marker).catch(() => undefined))
    )
      return;
    try {
      const packed = await download(vmUrl(`state/${pack.file}`), {
        size: pack.bytes,
        signal,
        onProgress: opts.onProgress,
      });
      await readHotStream(
        packed,
        async (chunkSize, chunks) => {
          if (chunkSize !== disk.chunkSize)
            throw new Error(`disk pack chunk size ${chunkSize} differs from ${disk.chunkSize}`);
          disk.addChunks(
            chunks.filter((c) => !disk.has(c.index)).map((c) => [c.index, c.data]),
            { remember: opts.remember },
          );
          await disk.flush();
          opts.onBatch?.();
        },
        { signal },
      );
      if (this.#caching) await this.#states.set(marker, new Uint8Array(1)).catch(() => {});
    } catch (error) {
      if (!signal.aborted) console.warn(`disk pack ${pack.file} not used:`, error);
    }
  }

  /** Stops the running machine (and any start in flight) before another state is restored. */
  async #restart(): Promise<AbortSignal> {
    this.#running.clear();
    this.#abort.abort();
    this.#abort = new AbortController();
    await this.#stopMachine();
    this.#progress({ phase: "restoring" });
    return this.#abort.signal;
  }

  #requireCheckpoints(): CheckpointStore {
    if (!this.#checkpoints)
      throw new CheckpointError("Checkpoints need a saved state and browser storage.");
    return this.#checkpoints;
  }

  /** The learner's last session, when there is one for this guest. */
  async #loadResume(): Promise<{ state: ArrayBuffer; savedAt: number } | undefined> {
    if (!state || !this.#caching) return undefined;
    this.#checkpoints ??= new CheckpointStore(state.sha256, checkpointCodec);
    const store = this.#checkpoints;
    let info: CheckpointInfo | undefined;
    try {
      await store.dropOthers();
      info = await store.info(RESUME);
      if (!info) return undefined;
      this.#progress({ phase: "restoring", source: "cache", caching: this.#caching });
      const saved = await this.#loadCheckpoint(store, RESUME);
      return saved ? { state: saved, savedAt: info.savedAt } : undefined;
    } catch (error) {
      console.warn("no resume:", error);
      // Storage that failed before a last session was even found: nothing to tell.
      if (!info) return undefined;
      // Only a damaged one goes; one that could not be read this time is tried again next visit.
      if (error instanceof CheckpointError) await store.remove(RESUME).catch(() => {});
      this.#fixed.push({
        kind: "resume-failed",
        severity: "fixed",
        message: `${(error as Error).message} Started from a fresh machine.`,
      });
      return undefined;
    }
  }

  /** Until when a learner's command may still run: Enter typed, no report yet (a minute at most). */
  #runningUntil(): number {
    let until = 0;
    for (const since of this.#running.values())
      until = Math.max(until, since + COMMAND_RUNNING_MAX_MS);
    return until;
  }

  #commandRunning(): boolean {
    return this.#runningUntil() > performance.now();
  }

  /**
   * Resolves once the terminals have been quiet for `quietMs` (or on abort). With `idle`, also
   * waits until no learner command is running: a `docker …` prints nothing until it is done.
   */
  async #learnerPause(quietMs: number, signal: AbortSignal, idle = false): Promise<void> {
    for (;;) {
      const now = performance.now();
      let until = this.#lastActivity + quietMs;
      // While a command runs, look again after `quietMs`.
      if (idle) until = Math.max(until, Math.min(this.#runningUntil(), now + quietMs));
      if (until <= now || signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, until - now));
    }
  }

  /** Typing or output: the learner is not paused. Arms the resume save for the next pause. */
  #active(): void {
    this.#lastActivity = performance.now();
    const mark = this.#stepMark;
    if (mark) {
      clearTimeout(mark.timer);
      // Typed after the step began: the machine is no longer at the step's start.
      if (this.#typed !== mark.typed) this.#stepMark = undefined;
      else mark.timer = setTimeout(() => void this.#saveStepStart(mark), STEP_AFTER_QUIET_MS);
    }
    clearTimeout(this.#quiet);
    if (!this.#dirty || !this.#checkpoints) return;
    this.#quiet = setTimeout(() => void this.#saveResume(), RESUME_AFTER_QUIET_MS);
  }

  async #saveStepStart(mark: StepMark): Promise<void> {
    if (this.#stepMark !== mark || this.#typed !== mark.typed) return;
    if (this.#warming) {
      mark.timer = setTimeout(() => void this.#saveStepStart(mark), STEP_AFTER_QUIET_MS);
      return;
    }
    this.#stepMark = undefined;
    await this.#save(STEP, mark.name).catch((error: unknown) =>
      console.warn("step checkpoint not saved:", error),
    );
  }

  async #saveResume({ now = false } = {}): Promise<void> {
    clearTimeout(this.#quiet);
    if (!this.#dirty) return;
    // A command still running (a docker command prints nothing until it is done) would resume
    // mid-way next visit, its output lost with this page: wait for it, unless the page is going.
    // So for a warm-up step: restored mid-way, it would compete with the learner's first
    // commands on the next visit (a warm `docker ps` took 36 s instead of 8 s).
    if (!now && (this.#commandRunning() || this.#warming)) {
      this.#quiet = setTimeout(() => void this.#saveResume(), RESUME_AFTER_QUIET_MS);
      return;
    }
    this.#dirty = false;
    try {
      await this.#save(RESUME, "");
    } catch (error) {
      this.#dirty = true; // try again at the next pause
      console.warn("resume checkpoint not saved:", error);
    }
  }

  /** A checkpoint's state (see CheckpointStore.load), with its timeline on the console. */
  async #loadCheckpoint(store: CheckpointStore, id: string): Promise<ArrayBuffer | undefined> {
    const started = performance.now();
    const state = await store.load(id);
    const t = store.lastLoad;
    const ms = (n: number) => Math.round(n);
    if (state && t)
      this.#mark(
        `checkpoint ${id} read in ${ms(performance.now() - started)} ms ` +
          `(IndexedDB ${ms(t.readMs)}, checksums and zstd ${ms(t.unpackMs)})`,
      );
    return state;
  }

  /** Saves the running machine (memory, devices, written disk blocks) as a checkpoint. */
  #save(id: string, name: string): Promise<CheckpointInfo> {
    const run = async () => {
      const store = this.#requireCheckpoints();
      const machine = this.#machine;
      if (!machine || (this.#phase !== "ready" && this.#phase !== "busy"))
        throw new CheckpointError("The machine is not running.");
      this.#emit({ type: "checkpoints", list: await store.list(), saving: true });
      const started = performance.now();
      checkpointCodec.prepare(); // its worker starts while the guest settles and v86 saves
      const quiet = new AbortController();
      const giveUp = setTimeout(() => quiet.abort(), SAVE_QUIET_MAX_MS);
      await this.#learnerPause(SAVE_QUIET_MS, quiet.signal);
      clearTimeout(giveUp);
      try {
        const waited = performance.now() - started;
        const raw = await machine.save();
        const saved = performance.now() - started - waited;
        const info = await store.save(id, name, raw);
        const total = performance.now() - started;
        const ms = (n: number) => Math.round(n);
        const t = store.lastSave;
        const mb = (n: number) => (n / 1e6).toFixed(1);
        const detail = t
          ? ` = chunks ${ms(t.chunkMs)} + zstd ${ms(t.packMs)} + IndexedDB ${ms(t.storeMs)}; ` +
            `${mb(t.newBytes)} of ${mb(t.rawBytes)} MB new`
          : "";
        this.#mark(
          `checkpoint ${id} saved in ${ms(total)} ms (quiet wait ${ms(waited)}, ` +
            `save_state ${ms(saved)}, pack and store ${ms(total - waited - saved)}${detail})`,
        );
        return info;
      } catch (error) {
        if (isQuotaError(error)) {
          this.#cachingOff();
          throw new CheckpointError(
            "The browser has no room left for this checkpoint. Delete an old checkpoint or clear cached data (status bar → storage).",
          );
        }
        throw error;
      } finally {
        await this.#announceCheckpoints();
      }
    };
    const saving = this.#saving.catch(() => {}).then(run);
    this.#saving = saving;
    return saving;
  }

  async #announceCheckpoints(): Promise<void> {
    const list = await this.#checkpoints?.list().catch(() => undefined);
    if (list) this.#emit({ type: "checkpoints", list, saving: false });
  }

  /**
   * The in-page registry (registry.local:5000 in the guest) serves the bundled images, so
   * `docker pull` and `docker run` of them work offline. Without it the machine still runs.
   */
  async #attachRegistry(machine: Machine, signal: AbortSignal): Promise<void> {
    this.#registry?.dispose();
    this.#registry = undefined;
    try {
      const registry = await attachBrowserRegistry(machine.emulator as never, {
        baseUrl: new URL(`${import.meta.env.BASE_URL}images`, self.location.origin).href,
        signal,
        // Beside dockerd's own "not found" in the terminal, the page says what it has instead.
        onMissingImage: (image) => {
          const advice = missingImageAdvice(image, registry.index);
          this.#emit({
            type: "fault",
            fault: {
              kind: "missing-image",
              severity: "warning",
              message: advice.message,
              image: {
                name: advice.name,
                reference: advice.reference,
                closest: advice.closest,
                knownTags: advice.knownTags,
                names: [...new Set(advice.available.map((a) => a.replace(/:[^:]*$/, "")))],
              },
            },
          });
        },
        // Pulled blobs not kept: the status bar says storage is full and what to delete.
        onStorageFull: () => this.#cachingOff(),
      });
      this.#registry = registry;
    } catch (error) {
      if (signal.aborted) throw error;
      console.warn("bundled images unavailable:", error);
    }
  }

  /** The saved state: from IndexedDB when this guest's copy is there, else downloaded. */
  async #loadState(signal: AbortSignal): Promise<Uint8Array | undefined> {
    if (!state) return undefined; // no saved state built: cold boot (slow, but it works)
    if (this.#stateInMemory) return this.#stateInMemory;
    const key = `state:${state.sha256}`;
    let cached: Uint8Array | undefined;
    try {
      cached = await this.#states.get(key);
    } catch {
      this.#cachingOff();
    }
    if (cached && (await this.#intact(cached, state.compressedBytes, state.sha256, key))) {
      this.#progress({ phase: "restoring", source: "cache", caching: this.#caching });
      return cached;
    }
    const bytes = await download(vmUrl(`state/${state.file}`), {
      size: state.compressedBytes,
      sha256: state.sha256,
      signal,
      onProgress: this.#downloadPart("state", state.compressedBytes),
    });
    await this.#bootPackDone;
    this.#progress({ phase: "restoring", source: "network", caching: this.#caching });
    try {
      await this.#states.set(key, bytes);
    } catch {
      this.#stateInMemory = bytes;
      this.#cachingOff();
    }
    return bytes;
  }

  /**
   * Whether a cached copy is the file the manifest names (a sha256 of the 16 MB state takes
   * ~50 ms). A damaged copy is dropped, the learner told, and the caller downloads it again.
   */
  async #intact(bytes: Uint8Array, size: number, sha256: string, key: string): Promise<boolean> {
    if (bytes.byteLength === size && (await sha256Hex(bytes)) === sha256) return true;
    const message = `cached ${key} is damaged (${bytes.byteLength} bytes); downloaded it again`;
    console.warn(message);
    await this.#states.remove(key).catch(() => {});
    this.#fixed.push({ kind: "damaged-cache", severity: "fixed", message });
    return false;
  }

  /** Before restoring: the chunks read until Ready, in one stream beside the state. */
  async #loadBootPack(disk: PersistentDisk, signal: AbortSignal): Promise<void> {
    let finish = () => {};
    this.#bootPackDone = new Promise<void>((resolve) => (finish = resolve));
    try {
      const pack = state?.bootPack;
      if (pack)
        await this.#fetchPack(pack, disk, signal, {
          remember: true,
          onProgress: this.#downloadPart("boot", pack.bytes),
        });
    } finally {
      finish();
    }
  }

  /** One progress bar over every download of this start (state + hot set). */
  #downloadPart(name: string, total: number): (loaded: number) => void {
    this.#downloads.set(name, { loaded: 0, total });
    let last = -1;
    return (loaded) => {
      this.#downloads.set(name, { loaded, total });
      let sumLoaded = 0;
      let sumTotal = 0;
      for (const part of this.#downloads.values()) {
        sumLoaded += part.loaded;
        sumTotal += part.total;
      }
      // Every 1% or at the end: a postMessage per network chunk would flood the UI thread.
      if (sumLoaded - last < sumTotal / 100 && sumLoaded !== sumTotal) return;
      last = sumLoaded;
      this.#progress({
        phase: "downloading",
        loaded: sumLoaded,
        total: sumTotal,
        source: "network",
      });
    };
  }

  /** The two BIOS images (170 KB) are cached too, so a warm start touches no network at all. */
  async #loadBioses(signal: AbortSignal): Promise<{ bios: Uint8Array; vgaBios: Uint8Array }> {
    const files = guest!.files;
    const [bios, vgaBios] = await Promise.all([
      this.#cachedFile(files.bios, signal),
      this.#cachedFile(files.vgaBios, signal),
    ]);
    return { bios, vgaBios };
  }

  async #cachedFile(file: GuestFile, signal: AbortSignal): Promise<Uint8Array> {
    const key = `file:${file.sha256}`;
    const cached = await this.#states.get(key).catch(() => undefined);
    if (cached && (await this.#intact(cached, file.size, file.sha256, key))) return cached;
    const bytes = await download(vmUrl(`guest/${file.file}`), {
      size: file.size,
      sha256: file.sha256,
      signal,
    });
    await this.#states.set(key, bytes).catch(() => this.#cachingOff());
    return bytes;
  }

  async #openDisk(): Promise<PersistentDisk> {
    if (this.#disk) return this.#disk;
    const rootfs = guest!.files.rootfs;
    // One chunk store per image and chunk size: chunks of another size are other data.
    const hash = `${rootfs.sha256.slice(0, 32)}-${state?.diskChunkBytes ?? 65536}`;
    await dropOtherDisks(hash).catch(() => {});
    const disk = new PersistentDisk({
      url: vmUrl(`guest/${rootfs.file}`),
      size: rootfs.size,
      store: new IdbChunkStore(hash),
      onStoreError: () => this.#cachingOff(),
      // The packs and the map of used chunks are in the state build's chunk size.
      chunkSize: state?.diskChunkBytes,
      usedChunks: state?.usedChunks,
    });
    await disk.open();
    await this.#states.keepOnly(this.#currentKeys()).catch(() => {});
    return disk;
  }

  #currentKeys(): string[] {
    const files = guest!.files;
    const keys = [`file:${files.bios.sha256}`, `file:${files.vgaBios.sha256}`];
    if (state) keys.push(`state:${state.sha256}`);
    for (const pack of [state?.bootPack, state?.warmPack, state?.restPack])
      if (pack) keys.push(`pack:${pack.file}`);
      else keys.push(`file:${files.kernel.sha256}`, `file:${files.initrd.sha256}`);
    return keys;
  }

  #watchHealth(machine: Machine): void {
    clearInterval(this.#health);
    let checking = false;
    this.#health = setInterval(async () => {
      if (checking || this.#machine !== machine) return;
      checking = true;
      const slow = setTimeout(() => this.#setPhase("busy"), BUSY_AFTER_MS);
      try {
        const pong = await machine.agent({ op: "ping" }, 60_000);
        if (pong.ok && pong.op === "ping")
          this.#setPhase(pong.dockerd ? "ready" : "starting-engine");
      } catch (error) {
        if (this.#machine === machine)
          this.#setPhase("crashed", error instanceof Error ? error.message : String(error));
      } finally {
        clearTimeout(slow);
        checking = false;
      }
    }, HEALTH_INTERVAL_MS);
  }

  #setPhase(phase: MachinePhase, message?: string): void {
    if (phase === this.#phase) return;
    this.#phase = phase;
    this.#progress({ phase, message });
  }

  #progress(progress: MachineProgress & { source?: "cache" | "network"; caching?: boolean }): void {
    this.#emit({ type: "progress", progress });
  }

  #cachingOff(): void {
    if (!this.#caching) return;
    this.#caching = false;
    this.#progress({ phase: this.#phase, caching: false });
  }

  async #stopMachine(): Promise<void> {
    clearInterval(this.#health);
    this.#registry?.dispose();
    this.#registry = undefined;
    const machine = this.#machine;
    this.#machine = undefined;
    await machine?.dispose();
  }
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? (bytes.buffer as ArrayBuffer)
    : (bytes.slice().buffer as ArrayBuffer);
}
