// The preview's state: which ports running containers publish (from the engine, kept current by
// its events), which one is shown at what path, and whether anything answers there. Also the
// page's half of the service-worker route (src/vm/preview/responder.ts). Components only draw it.
import { agentOf } from "../engine/agent.ts";
import { DockerEngine, containerName } from "../engine/docker.ts";
import type { ContainerSummary } from "../engine/types.ts";
import type { I18n } from "../i18n/i18n.svelte.ts";
import type { MachineClient } from "../vm/client.svelte.ts";
import type { AgentEvent, GuestHttpFailure } from "../vm/protocol.ts";
import type { FrameFetchMessage, FrameFetchReply } from "../vm/preview/shim.ts";
import {
  PreviewResponder,
  type PreviewRequestMessage,
  type PreviewFailureText,
} from "../vm/preview/responder.ts";
import { serviceWorker } from "./service-worker.svelte.ts";

export interface PublishedPort {
  /** The port on the learner's machine (the guest): `-p THIS:80`. */
  port: number;
  privatePort: number;
  container: string;
  image: string;
}

export type PreviewStatus =
  | { kind: "idle" }
  | { kind: "checking" }
  | { kind: "ok" }
  | { kind: "stopped" }
  | { kind: "failed"; reason: GuestHttpFailure["reason"]; message: string };

/** Running containers' published TCP ports, one entry per host port (IPv4 and IPv6 merged). */
export function publishedPorts(containers: ContainerSummary[]): PublishedPort[] {
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local, not state
  const byPort = new Map<number, PublishedPort>();
  for (const c of containers) {
    if (c.State !== "running") continue;
    for (const p of c.Ports ?? []) {
      if (p.Type !== "tcp" || !p.PublicPort || byPort.has(p.PublicPort)) continue;
      byPort.set(p.PublicPort, {
        port: p.PublicPort,
        privatePort: p.PrivatePort,
        container: containerName(c),
        image: c.Image,
      });
    }
  }
  return [...byPort.values()].sort((a, b) => a.port - b.port);
}

/** Which engine events can change the published ports. */
function affectsPorts(event: AgentEvent): boolean {
  if (event.event === "docker") return event.data.Type === "container";
  return event.event === "hello" || event.event === "dockerd";
}

/** How long a running container's server gets to begin listening (Apache takes seconds here). */
const STARTING_WAIT_MS = 30_000;
const STARTING_RETRY_MS = 300;

// Through a cast: Node's type check of the unit tests has no Vite `import.meta.env` types.
const APP_BASE = (import.meta as { env?: { BASE_URL?: string } }).env?.BASE_URL ?? "/";

/** The preview URL of a port and path, inside the app (what the iframe and a new tab open). */
export function previewUrl(port: number, path: string): string {
  const p = path.startsWith("/") ? path : `/${path}`;
  return `${APP_BASE}preview/${port}${p}`;
}

export class PreviewState {
  ports = $state.raw<PublishedPort[]>([]);
  /** The port shown in the Preview tab. */
  port = $state<number | undefined>(undefined);
  path = $state("/");
  status = $state.raw<PreviewStatus>({ kind: "idle" });
  /** Bumped to reload the frame (same URL). */
  loads = $state(0);
  /** False when the browser refuses the service worker: no preview, said plainly. */
  workerReady = $state<boolean | undefined>(undefined);
  /** Bumped when something (the status bar) asks the Preview tab to come forward. */
  openRequests = $state(0);

  src = $derived(this.port === undefined ? undefined : previewUrl(this.port, this.path));

  readonly #machine: MachineClient;
  readonly #engine: DockerEngine;
  readonly #responder: PreviewResponder;
  #offs: (() => void)[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #reading = false;
  #again = false;
  #disposed = false;

  constructor(machine: MachineClient, i18n: I18n) {
    this.#machine = machine;
    this.#engine = new DockerEngine(agentOf(machine));
    this.#responder = new PreviewResponder(
      (port, request) => machine.http(port, request),
      () => failureText(i18n),
    );
    this.#offs.push(
      this.#engine.agent.onEvent((event) => {
        if (affectsPorts(event)) this.#schedule();
      }),
    );
    void this.#registerWorker();
  }

  /** Reads the containers now (and after engine events, debounced). */
  async refresh(): Promise<void> {
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = true;
    try {
      do {
        this.#again = false;
        const containers = await this.#engine.containers();
        if (this.#disposed) return;
        this.#setPorts(publishedPorts(containers));
      } while (this.#again);
    } catch {
      // The engine is busy or restarting; the next event reads again.
    } finally {
      this.#reading = false;
    }
  }

  /** Shows a port (from the status bar or the port list) and brings the tab forward. */
  open(port: number, path = "/"): void {
    this.port = port;
    this.path = path.startsWith("/") ? path : `/${path}`;
    this.openRequests++;
    void this.check();
  }

  navigate(path: string): void {
    this.path = path.trim().startsWith("/") ? path.trim() : `/${path.trim()}`;
    void this.check();
  }

  reload(): void {
    void this.check();
  }

  /** Asks the port before loading the frame, so "nothing listens" is a message, not a blank page. */
  async check(): Promise<void> {
    const port = this.port;
    if (port === undefined) return;
    const seq = ++this.#checks;
    this.status = { kind: "checking" };
    let res = await this.#ask(port);
    // A server in a container that just started listens a while after `docker run -d` returns:
    // while the engine says the port is published, "refused" means "not yet" for a while.
    const since = performance.now();
    while (!res.ok && res.reason === "refused" && performance.now() - since < STARTING_WAIT_MS) {
      if (!this.#isPublished(port) || seq !== this.#checks) break;
      await new Promise((resolve) => setTimeout(resolve, STARTING_RETRY_MS));
      res = await this.#ask(port);
    }
    if (seq !== this.#checks || this.port !== port) return;
    if (res.ok) {
      this.status = { kind: "ok" };
      this.loads++;
    } else if (res.reason === "refused" && this.#known.has(port) && !this.#isPublished(port)) {
      this.status = { kind: "stopped" };
    } else {
      this.status = { kind: "failed", reason: res.reason, message: res.message };
    }
  }

  /** Answers a `fetch()` the page in the frame made (see src/vm/preview/shim.ts). */
  async answerFrameFetch(message: FrameFetchMessage, port: number): Promise<FrameFetchReply> {
    const res = await this.#machine.http(port, {
      method: message.method,
      path: message.path.startsWith("/") ? message.path : `/${message.path}`,
      headers: message.headers.filter(([n]) => !/^(cookie|authorization)$/i.test(n)),
      body: message.body,
    });
    if (!res.ok)
      return {
        type: "preview-fetch-reply",
        id: message.id,
        status: 0,
        statusText: "",
        headers: [],
        body: new Uint8Array(0),
        error: res.message,
      };
    return {
      type: "preview-fetch-reply",
      id: message.id,
      status: res.status,
      statusText: res.statusText,
      headers: res.headers.filter(
        ([n]) =>
          !/^(connection|keep-alive|transfer-encoding|content-encoding|content-length)$/i.test(n),
      ),
      body: res.body,
    };
  }

  /** Answers one request the service worker forwarded; public for tests. */
  answer(message: PreviewRequestMessage) {
    return this.#responder.answer(message);
  }

  dispose(): void {
    this.#disposed = true;
    clearTimeout(this.#timer);
    for (const off of this.#offs) off();
    this.#offs = [];
  }

  // ---------------------------------------------------------------------------------------------

  /** Ports seen published during this visit: a port that vanished from the list has stopped. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, not drawn
  #known = new Set<number>();

  #checks = 0;

  #ask(port: number) {
    return this.#machine.http(port, { method: "HEAD", path: this.path, timeoutMs: 10_000 });
  }

  #isPublished(port: number): boolean {
    return this.ports.some((p) => p.port === port);
  }

  #setPorts(ports: PublishedPort[]): void {
    for (const p of ports) this.#known.add(p.port);
    this.ports = ports;
    const shown = this.port;
    if (shown === undefined) return;
    const published = ports.some((p) => p.port === shown);
    if (!published && this.status.kind !== "stopped") this.status = { kind: "stopped" };
    else if (published && this.status.kind === "stopped") void this.check();
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.refresh(), 150);
  }

  async #registerWorker(): Promise<void> {
    const container = globalThis.navigator?.serviceWorker;
    if (!container) {
      this.workerReady = false;
      return;
    }
    const onMessage = (event: MessageEvent) => {
      const data = event.data as PreviewRequestMessage | undefined;
      const reply = event.ports[0];
      if (data?.type !== "preview-request" || !reply) return;
      void this.answer(data).then(
        (answer) => reply.postMessage(answer, [answer.body.buffer as ArrayBuffer]),
        (error: unknown) =>
          reply.postMessage(
            this.#responder.failurePage(data.port, {
              ok: false,
              reason: "error",
              message: error instanceof Error ? error.message : String(error),
            }),
          ),
      );
    };
    container.addEventListener("message", onMessage);
    container.startMessages();
    this.#offs.push(() => container.removeEventListener("message", onMessage));
    try {
      // The app's one service worker carries the preview route (src/ui/service-worker.svelte.ts).
      const registration = await serviceWorker(container);
      // Not `container.ready`: that waits for a worker controlling this page, and under `vite`
      // dev this one only controls the preview route.
      await activated(registration);
      this.workerReady = true;
    } catch {
      this.workerReady = false;
    }
  }
}

function activated(registration: ServiceWorkerRegistration): Promise<void> {
  const worker = registration.active ?? registration.waiting ?? registration.installing;
  if (!worker || worker.state === "activated") return Promise.resolve();
  return new Promise((resolve) => {
    const onChange = () => {
      if (worker.state !== "activated") return;
      worker.removeEventListener("statechange", onChange);
      resolve();
    };
    worker.addEventListener("statechange", onChange);
  });
}

function failureText(i18n: I18n): PreviewFailureText {
  return {
    title: i18n.t("previewFailTitle"),
    refused: (port) => i18n.t("previewRefused", { port }),
    reset: (port) => i18n.t("previewReset", { port }),
    timeout: (port) => i18n.t("previewTimeout", { port }),
    error: (port, error) => i18n.t("previewError", { port, error }),
    hint: i18n.t("previewFailHint"),
  };
}

// One preview per machine: the status bar's chips and the Preview tab share it.
const previews = new WeakMap<MachineClient, PreviewState>();

export function previewFor(machine: MachineClient, i18n: I18n): PreviewState {
  let state = previews.get(machine);
  if (!state) previews.set(machine, (state = new PreviewState(machine, i18n)));
  return state;
}
