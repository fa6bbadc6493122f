// The watchdog's faults as notices the learner sees: one per thing that went wrong (a later report
// of the same thing replaces it), fatal ones until the machine is reset, fixed ones for a while.
import type { MachineEvent, MachineFault } from "../vm/protocol.ts";
import type { MessageKey } from "../i18n/strings.ts";

export interface FaultSource {
  on(listener: (event: MachineEvent) => void): () => void;
}

export interface FaultNotice {
  key: string;
  fault: MachineFault;
  /** The UI string and its parameters. */
  message: MessageKey;
  params: Record<string, string | number>;
  fatal: boolean;
}

/** Fixed and warning notices go away by themselves after this long; fatal ones never do. */
const FADE_MS = 15_000;

export function noticeFor(fault: MachineFault): Omit<FaultNotice, "key"> {
  const base = { fault, fatal: fault.severity === "fatal", params: {} };
  switch (fault.kind) {
    case "kernel-panic":
      return { ...base, message: "faultKernelPanic" };
    case "hung":
      return { ...base, message: "faultHung" };
    case "dockerd-stopped":
      return {
        ...base,
        message:
          fault.severity === "fatal"
            ? "faultDockerdFatal"
            : fault.severity === "fixed"
              ? "faultDockerdFixed"
              : "faultDockerdRecovering",
      };
    case "out-of-memory":
      return fault.container
        ? { ...base, message: "faultOomContainer", params: { name: fault.container } }
        : { ...base, message: "faultOom" };
    case "too-many-processes":
      if (fault.severity === "fixed" && fault.port)
        return { ...base, message: "faultPidsTerminal", params: { n: fault.port } };
      if (fault.severity === "fixed" && fault.container)
        return { ...base, message: "faultPidsContainer", params: { name: fault.container } };
      return { ...base, message: "faultPidsStuck" };
    case "disk-full":
      return { ...base, message: fault.disk === "docker" ? "faultDiskDocker" : "faultDiskRoot" };
    case "damaged-cache":
      return { ...base, message: "faultDamagedCache" };
    case "resume-failed":
      return { ...base, message: "faultResumeFailed" };
    case "missing-image": {
      const image = fault.image ?? { name: "?", reference: "?", names: [] };
      // A digest is written name@sha256:…, a tag name:tag.
      const ref = `${image.name}${image.reference.includes(":") ? "@" : ":"}${image.reference}`;
      const params = { name: image.name, ref, list: image.names.join(", ") };
      if (image.knownTags?.length) {
        const tags = image.knownTags.map((t) => `${image.name}:${t}`).join(", ");
        return { ...base, message: "faultImageTag", params: { ...params, tags } };
      }
      if (image.closest)
        return {
          ...base,
          message: "faultImageClosest",
          params: { ...params, closest: image.closest },
        };
      return { ...base, message: "faultImageMissing", params };
    }
  }
}

export class FaultNotices {
  notices = $state.raw<FaultNotice[]>([]);
  #off: () => void;
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- timers, not UI state
  #timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(source: FaultSource) {
    this.#off = source.on((event) => {
      if (event.type === "fault") this.add(event.fault);
      // A reset or restore starts a new machine: what was wrong with the old one is over.
      else if (event.type === "progress" && event.progress.phase === "restoring") this.clear();
    });
  }

  get fatal(): FaultNotice | undefined {
    return this.notices.find((n) => n.fatal);
  }

  add(fault: MachineFault): void {
    const key = [fault.kind, fault.port ?? "", fault.disk ?? ""].join(":");
    if (fault.severity === "cleared") return this.dismiss(key);
    const notice = { key, ...noticeFor(fault) };
    this.notices = [...this.notices.filter((n) => n.key !== key), notice];
    clearTimeout(this.#timers.get(key));
    // A warning lasts while its cause does (a full disk), unless the learner dismisses it. The
    // advice for a missing image has nothing to wait for: it goes after a longer read.
    const fade =
      fault.severity === "fixed" ? FADE_MS : fault.kind === "missing-image" ? 2 * FADE_MS : 0;
    if (fade)
      this.#timers.set(
        key,
        setTimeout(() => this.dismiss(key), fade),
      );
  }

  dismiss(key: string): void {
    clearTimeout(this.#timers.get(key));
    this.#timers.delete(key);
    this.notices = this.notices.filter((n) => n.key !== key);
  }

  clear(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.notices = [];
  }

  dispose(): void {
    this.#off();
    this.clear();
  }
}
