// Every message between the UI thread, the VM worker, the Node harness and the guest agent.
// Types only: this file holds no code, so anything may import it.

/** Learner terminals are the guest's serial ports ttyS1 and ttyS2 (ttyS0 is the kernel console;
 * v86 gives the guest no working ttyS3). */
export type LearnerPort = 1 | 2;

/** One file the emulator needs, as the build wrote it into `vm-images/out/guest/`. */
export interface GuestFile {
  /** File name relative to the guest folder. */
  file: string;
  size: number;
  sha256: string;
}

/** `vm-images/out/guest/manifest.json`: what `npm run build:guest` produced, and from what. */
export interface GuestManifest {
  /** Hash over every artifact and the machine settings; names the saved state. */
  hash: string;
  memoryMb: number;
  cmdline: string;
  files: {
    bios: GuestFile;
    vgaBios: GuestFile;
    kernel: GuestFile;
    initrd: GuestFile;
    rootfs: GuestFile;
  };
  packages: { name: string; version: string; arch: string; sha256: string }[];
  /** Unpacked size of the root filesystem contents, bytes. */
  rootfsUsedBytes: number;
  builtFrom: { recipeHash: string; lockHash: string };
}

/** `vm-images/out/state/<guest hash>.json`, beside `<guest hash>.bin.zst`. */
/** Root-disk chunks shipped as one gzip HOT1 stream beside the state (src/vm/worker/hotset.ts). */
export interface DiskPack {
  file: string;
  /** Compressed size. */
  bytes: number;
  chunks: number;
}

export interface StateManifest {
  guestHash: string;
  file: string;
  sha256: string;
  rawBytes: number;
  compressedBytes: number;
  /** Milliseconds from emulator start until dockerd answered during the build. */
  bootReadyMs: number;
  /** Disk bytes the guest read from the root image during that first boot. */
  firstBootFetchBytes: number;
  /** Chunk size of the disk packs and of usedChunks. */
  diskChunkBytes?: number;
  /** Root-disk chunks read from restore until Ready: fetched before restoring. */
  bootPack?: DiskPack;
  /** Chunks the first docker commands and the warm-up read: fetched right after Ready. */
  warmPack?: DiskPack;
  /** Every other chunk holding data: fetched in the background, then the disk works offline. */
  restPack?: DiskPack;
  /** [first, count] runs of the chunks holding data; the rest of the image is zeros. */
  usedChunks?: [number, number][];
  /**
   * Chunks a learner's first look around reads (`docker ps`, `images`, `version`, `info`), as
   * [first, count] runs. A warm start loads them from this browser's store in a few large reads
   * while the state restores, instead of one slow read per page fault after Ready.
   */
  lookChunks?: [number, number][];
  /**
   * The warm pack's chunks (what a first `docker run` reads), as [first, count] runs: a warm
   * start loads them after the first look's, so a learner's first run does not wait for
   * hundreds of single store reads (645, 7.4 s, for a first `docker run hello-world`).
   */
  warmChunks?: [number, number][];
}

// ---------------------------------------------------------------------------
// Guest agent: JSON lines on virtio-console port 1 (/dev/vport*p1 in the guest).
// Host → guest: one AgentRequest with a numeric `id` per line.
// Guest → host: one AgentReply (same id) per request, or an AgentEvent (no id).
// ---------------------------------------------------------------------------

export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "DELETE";

export type AgentRequest =
  /** Liveness; answered by the agent itself, with dockerd's state. */
  | { op: "ping" }
  /** One Docker Engine API call over /var/run/docker.sock (HTTP/1.0). */
  | { op: "api"; method: HttpMethod; path: string; body?: unknown }
  /** Run a program in the guest (not in a learner terminal). */
  | { op: "exec"; argv: string[]; stdin?: string; timeoutMs?: number }
  /** Tell a learner terminal its size; the kernel sends SIGWINCH to its foreground job. */
  | { op: "resize"; port: LearnerPort; rows: number; cols: number }
  /**
   * Write one file of the learner's workspace whole (base64 `data`), its folders made, with no
   * program started: the editor's save. `mtimeMs` sets its time.
   */
  | { op: "write"; path: string; data: string; mtimeMs?: number };

export type AgentRequestWithId = AgentRequest & { id: number };

export type AgentReply =
  | { id: number; ok: true; op: "ping"; dockerd: boolean; uptimeMs: number }
  | {
      id: number;
      ok: true;
      op: "api";
      status: number;
      /** Parsed JSON when the engine answered JSON, else the raw text. */
      body: unknown;
    }
  | { id: number; ok: true; op: "exec"; exit: number; stdout: string; stderr: string }
  | { id: number; ok: true; op: "resize" }
  | { id: number; ok: true; op: "write" }
  | { id: number; ok: false; error: string };

/** The payload of one `docker events` message (Engine API `/events`). */
export interface DockerEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope?: string;
  time: number;
  timeNano: number;
  status?: string;
  id?: string;
  from?: string;
}

/** A command the learner finished at a prompt in one learner terminal. */
export interface CommandReport {
  port: LearnerPort;
  /** History number in that shell; distinguishes two identical commands. */
  seq: number;
  cmd: string;
  exit: number;
  cwd: string;
}

export type AgentEvent =
  | { event: "hello"; bootId: string }
  | { event: "dockerd"; up: boolean }
  | { event: "docker"; data: DockerEvent }
  | ({ event: "command" } & CommandReport)
  /**
   * A limit inside the guest was hit (sandbox-agent samples the cgroup counters every 2 s):
   * a fork failed at a pids ceiling, or the kernel killed a program for memory.
   */
  | {
      event: "limit";
      kind: "pids" | "memory";
      scope: "container" | "containers" | "terminal" | "system";
      count: number;
      /** The learner terminal, for scope "terminal" and kind "pids". */
      port?: LearnerPort;
      /** The container's full id, for scope "container". */
      container?: string;
    }
  /** Docker's own disk (/var/lib/docker) or the learner's root disk became full, or free again. */
  | {
      event: "disk";
      disk: "docker" | "root";
      full: boolean;
      freeBytes: number;
      totalBytes: number;
    };

// ---------------------------------------------------------------------------
// The machine, as the UI and the Node harness see it.
// ---------------------------------------------------------------------------

export type MachinePhase =
  | "idle"
  | "downloading"
  | "restoring"
  | "booting"
  | "starting-engine"
  | "ready"
  | "busy"
  | "crashed"
  | "error";

export interface MachineProgress {
  phase: MachinePhase;
  /** Bytes done and expected in this phase, when it moves data. */
  loaded?: number;
  total?: number;
  message?: string;
  /** Where the saved state came from on this start. */
  source?: "network" | "cache";
  /** False when the browser refused storage: the machine runs, nothing is cached. */
  caching?: boolean;
}

export interface MachineStats {
  /** Guest memory in use (MemTotal - MemAvailable), bytes. */
  guestMemUsed: number;
  guestMemTotal: number;
  /** Bytes of the root image fetched so far. */
  diskBytesFetched: number;
}

/** A saved machine state the learner can go back to (or the automatic one, `auto`). */
export interface CheckpointInfo {
  /** "auto" for the resume checkpoint, `named:<name>` for the learner's. */
  id: string;
  /** As the learner typed it; empty for the resume checkpoint. */
  name: string;
  /** Date.now() when it was saved. */
  savedAt: number;
  /**
   * What saving it added to this browser's storage (compressed): checkpoints share the chunks
   * of their state that an earlier one already stored.
   */
  bytes: number;
  /** The one saved automatically when the learner pauses, restored on the next visit. */
  auto: boolean;
  /**
   * sha256 of the stored bytes, for a checkpoint saved whole (before chunks; a chunked one
   * checks each pack): a damaged checkpoint is told, never restored.
   */
  sha256?: string;
}

/** What a machine streams to whoever drives it. */
export type MachineEvent =
  | { type: "progress"; progress: MachineProgress }
  | { type: "output"; port: LearnerPort; data: Uint8Array }
  | { type: "agent"; event: AgentEvent }
  | { type: "console"; text: string }
  /**
   * How much of the root disk is on this device. `ready` once all of it is: from then on the
   * sandbox needs no network at all.
   */
  | { type: "offline"; stored: number; total: number; ready: boolean }
  /** Checkpoints changed (saved, deleted), or one is being saved right now. */
  | { type: "checkpoints"; list: CheckpointInfo[]; saving: boolean }
  /** This start continued from the learner's last session instead of the base state. */
  | { type: "resumed"; savedAt: number }
  /** The watchdog noticed something wrong in the guest (src/vm/watchdog.ts). */
  | { type: "fault"; fault: MachineFault };

/** What went wrong in the guest, and whether the sandbox already fixed it. */
export interface MachineFault {
  kind:
    | "kernel-panic"
    | "hung"
    | "dockerd-stopped"
    | "out-of-memory"
    | "too-many-processes"
    | "disk-full"
    /** This browser's copy of the machine was damaged; a fresh one was downloaded. */
    | "damaged-cache"
    /** The last session's machine could not be restored; the base state started instead. */
    | "resume-failed"
    /** dockerd asked the in-page registry for an image it does not hold (`image` says which). */
    | "missing-image";
  /**
   * `fatal`: only Reset (or a checkpoint) brings the machine back. `recovering`: the sandbox is
   * bringing it back. `fixed`: it did (or stopped the cause). `warning`: the learner can fix it.
   * `cleared`: the earlier fault of this kind is over.
   */
  severity: "fatal" | "recovering" | "fixed" | "warning" | "cleared";
  /** Plain English for logs and tests; the UI words it by `kind` and `severity` in each language. */
  message: string;
  port?: LearnerPort;
  /** Container name, when one container was the cause. */
  container?: string;
  disk?: "docker" | "root";
  /** For `missing-image`: what was asked for, and what the sandbox has instead. */
  image?: {
    /** As a learner types it: "ubuntu". */
    name: string;
    /** The tag (or digest) asked for. */
    reference: string;
    /** The bundled image closest to it ("debian"), if any. */
    closest?: string;
    /** When the image is bundled but not with this tag: the tags it has. */
    knownTags?: string[];
    /** Every bundled image, short names. */
    names: string[];
  };
}

/** One HTTP request to a port the guest publishes, as a browser would send to localhost:PORT. */
export interface GuestHttpRequest {
  method: string;
  /** Path and query, starting with `/`. */
  path: string;
  headers?: [string, string][];
  body?: Uint8Array;
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
}

/** Why a request to the guest got no answer: nothing listens, the server hung up, or silence. */
export interface GuestHttpFailure {
  ok: false;
  reason: "refused" | "reset" | "timeout" | "error";
  message: string;
}

export type GuestHttpResponse =
  | {
      ok: true;
      status: number;
      statusText: string;
      headers: [string, string][];
      /** The decoded body (the request asks for no content encoding). */
      body: Uint8Array;
    }
  | GuestHttpFailure;

/** The worker's API as wrapped by comlink. Callbacks passed in must be `Comlink.proxy`-wrapped. */
export interface MachineWorkerApi {
  start(onEvent: (event: MachineEvent) => void): Promise<void>;
  write(port: LearnerPort, data: Uint8Array): void;
  resize(port: LearnerPort, rows: number, cols: number): Promise<void>;
  agent(request: AgentRequest): Promise<AgentReply>;
  stats(): Promise<MachineStats>;
  reset(): Promise<void>;
  dispose(): Promise<void>;
  /** HTTP to a port published in the guest (the preview, lesson checks); failures are values. */
  http(port: number, request: GuestHttpRequest): Promise<GuestHttpResponse>;
  /** Saves the running machine under `name` (replacing one of that name). */
  saveCheckpoint(name: string): Promise<CheckpointInfo>;
  /** Goes back to a checkpoint (by id): containers, images and files as they were then. */
  restoreCheckpoint(id: string): Promise<void>;
  deleteCheckpoint(id: string): Promise<void>;
  checkpoints(): Promise<CheckpointInfo[]>;
  /** Saves the resume checkpoint now if anything changed (the page is being hidden). */
  saveForResume(): Promise<void>;
  /**
   * A lesson step just became current: keep the machine as it is now (at the next pause, if the
   * learner has not typed since) as the one step checkpoint, id `step`, named `lesson/step`.
   */
  markStepStart(lessonId: string, stepId: string): Promise<void>;
}
