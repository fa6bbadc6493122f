// Typed reads (and the few writes a lesson restart needs) of the real Docker engine in the
// guest, through the agent's `{op: "api"}` requests. No DOM, no knowledge of lessons.
import type {
  AgentReply,
  AgentRequest,
  CommandReport,
  DockerEvent,
  HttpMethod,
} from "../vm/protocol.ts";
import { EngineError, type Agent } from "./agent.ts";
import type {
  ContainerChange,
  ContainerInspect,
  ContainerSummary,
  ContainerTop,
  EngineVersion,
  HistoryItem,
  ImageInspect,
  ImageSummary,
  Volume,
} from "./types.ts";

/** Docker 20.10 speaks API 1.41; pinning it keeps the JSON shapes the types describe. */
export const API_VERSION = "v1.41";

export type FileRead =
  | { found: true; content: string; truncated: boolean }
  | { found: false; reason: "missing" | "directory" | "deleted" };

export class DockerEngine {
  readonly agent: Agent;
  constructor(agent: Agent) {
    this.agent = agent;
  }

  private async call(
    method: HttpMethod,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const request: AgentRequest = { op: "api", method, path: `/${API_VERSION}${path}` };
    if (body !== undefined) request.body = body;
    const reply = await this.agent.request(request);
    if (!reply.ok) throw new EngineError(`agent: ${reply.error}`);
    if (reply.op !== "api") throw new EngineError(`agent answered ${reply.op} to an api request`);
    return { status: reply.status, body: reply.body };
  }

  /** GET that fails on any status but 2xx; 404 becomes `undefined` when `allow404`. */
  private async get<T>(path: string, allow404: true): Promise<T | undefined>;
  private async get<T>(path: string, allow404?: false): Promise<T>;
  private async get<T>(path: string, allow404 = false): Promise<T | undefined> {
    const { status, body } = await this.call("GET", path);
    if (status === 404 && allow404) return undefined;
    if (status < 200 || status >= 300) throw new EngineError(engineMessage(body, status), status);
    return body as T;
  }

  version(): Promise<EngineVersion> {
    return this.get<EngineVersion>("/version");
  }

  /** Every container, running or not (`docker ps -a`). */
  containers(): Promise<ContainerSummary[]> {
    return this.get<ContainerSummary[]>("/containers/json?all=1");
  }

  /** One container by name or id; undefined when there is none. */
  container(nameOrId: string): Promise<ContainerInspect | undefined> {
    return this.get<ContainerInspect>(`/containers/${encodeURIComponent(nameOrId)}/json`, true);
  }

  /** The container's writable layer against its image (`docker diff`). */
  async changes(nameOrId: string): Promise<ContainerChange[]> {
    return (
      (await this.get<ContainerChange[] | null>(
        `/containers/${encodeURIComponent(nameOrId)}/changes`,
      )) ?? []
    );
  }

  /** Processes of a running container (`docker top`). */
  top(nameOrId: string): Promise<ContainerTop> {
    return this.get<ContainerTop>(`/containers/${encodeURIComponent(nameOrId)}/top`);
  }

  /** Tagged images and dangling ones (`docker images`). */
  images(): Promise<ImageSummary[]> {
    return this.get<ImageSummary[]>("/images/json");
  }

  image(ref: string): Promise<ImageInspect | undefined> {
    return this.get<ImageInspect>(`/images/${encodeURIComponent(ref)}/json`, true);
  }

  /** `docker history`, newest layer first. */
  history(ref: string): Promise<HistoryItem[]> {
    return this.get<HistoryItem[]>(`/images/${encodeURIComponent(ref)}/history`);
  }

  async volumes(): Promise<Volume[]> {
    const list = await this.get<{ Volumes: Volume[] | null }>("/volumes");
    return list.Volumes ?? [];
  }

  volume(name: string): Promise<Volume | undefined> {
    return this.get<Volume>(`/volumes/${encodeURIComponent(name)}`, true);
  }

  /** Remove a container (stopping it first when `force`); false when it did not exist. */
  async removeContainer(
    nameOrId: string,
    opts: { force?: boolean; volumes?: boolean } = {},
  ): Promise<boolean> {
    const q = `force=${opts.force ? 1 : 0}&v=${opts.volumes ? 1 : 0}`;
    const { status, body } = await this.call(
      "DELETE",
      `/containers/${encodeURIComponent(nameOrId)}?${q}`,
    );
    if (status === 404) return false;
    if (status >= 300) throw new EngineError(engineMessage(body, status), status);
    return true;
  }

  async removeImage(ref: string, opts: { force?: boolean } = {}): Promise<boolean> {
    const { status, body } = await this.call(
      "DELETE",
      `/images/${encodeURIComponent(ref)}?force=${opts.force ? 1 : 0}`,
    );
    if (status === 404) return false;
    if (status >= 300) throw new EngineError(engineMessage(body, status), status);
    return true;
  }

  async removeVolume(name: string, opts: { force?: boolean } = {}): Promise<boolean> {
    const { status, body } = await this.call(
      "DELETE",
      `/volumes/${encodeURIComponent(name)}?force=${opts.force ? 1 : 0}`,
    );
    if (status === 404) return false;
    if (status >= 300) throw new EngineError(engineMessage(body, status), status);
    return true;
  }

  /**
   * Read a file in a container without touching the container: from its merged overlay
   * directory while it runs, else from its writable layer and then the image layers.
   * (The archive API would emit `archive-path` events and re-trigger the lesson checks.)
   */
  async readFile(
    nameOrId: string,
    path: string,
    maxBytes = 256 * 1024,
  ): Promise<FileRead | undefined> {
    const c = await this.container(nameOrId);
    if (!c) return undefined;
    const data = c.GraphDriver.Data ?? {};
    const dirs =
      c.State.Running && data.MergedDir
        ? [data.MergedDir]
        : [data.UpperDir, ...(data.LowerDir ?? "").split(":")].filter((d): d is string => !!d);
    return this.readFirst(path, dirs, maxBytes);
  }

  /** Read a file in a named volume, through its mount point in the guest. */
  async readVolumeFile(
    volume: string,
    path: string,
    maxBytes = 256 * 1024,
  ): Promise<FileRead | undefined> {
    const vol = await this.volume(volume);
    if (!vol) return undefined;
    return this.readFirst(path, [vol.Mountpoint], maxBytes);
  }

  /** Read a file on the learner's machine (the guest), e.g. a Dockerfile in the workspace. */
  readGuestFile(path: string, maxBytes = 256 * 1024): Promise<FileRead> {
    return this.readFirst(path, [""], maxBytes);
  }

  private async readFirst(path: string, dirs: string[], maxBytes: number): Promise<FileRead> {
    // Exit 3: not there, 4: a directory, 5: an overlay whiteout (deleted in a layer above).
    const script =
      'p=$1; n=$2; shift 2; for d in "$@"; do f="$d$p"; ' +
      'if [ -c "$f" ]; then exit 5; fi; if [ -d "$f" ]; then exit 4; fi; ' +
      'if [ -f "$f" ]; then head -c "$n" "$f"; exit 0; fi; done; exit 3';
    const reply = await this.exec(["sh", "-c", script, "sh", path, String(maxBytes + 1), ...dirs]);
    if (reply.exit === 0) {
      const truncated = reply.stdout.length > maxBytes;
      return {
        found: true,
        content: truncated ? reply.stdout.slice(0, maxBytes) : reply.stdout,
        truncated,
      };
    }
    if (reply.exit === 4) return { found: false, reason: "directory" };
    if (reply.exit === 5) return { found: false, reason: "deleted" };
    if (reply.exit === 3) return { found: false, reason: "missing" };
    throw new EngineError(`reading ${path} failed: ${reply.stderr.trim() || `exit ${reply.exit}`}`);
  }

  /** Run a program in the guest (not in a container, not in a learner terminal). */
  async exec(argv: string[], opts: { stdin?: string; timeoutMs?: number } = {}) {
    const request: AgentRequest = { op: "exec", argv, ...opts };
    const reply: AgentReply = await this.agent.request(request);
    if (!reply.ok) throw new EngineError(`agent: ${reply.error}`);
    if (reply.op !== "exec") throw new EngineError(`agent answered ${reply.op} to an exec request`);
    return reply;
  }

  onDockerEvent(listener: (event: DockerEvent) => void): () => void {
    return this.agent.onEvent((e) => {
      if (e.event === "docker") listener(e.data);
    });
  }

  onCommand(listener: (report: CommandReport) => void): () => void {
    return this.agent.onEvent((e) => {
      if (e.event === "command") {
        const { event: _event, ...report } = e;
        listener(report);
      }
    });
  }
}

function engineMessage(body: unknown, status: number): string {
  const msg = (body as { message?: unknown } | null)?.message;
  return typeof msg === "string" ? msg : `engine answered ${status}`;
}

/** A container's name without Docker's leading slash. */
export function containerName(
  c: Pick<ContainerSummary, "Names"> | Pick<ContainerInspect, "Name">,
): string {
  const raw = "Name" in c ? c.Name : (c.Names[0] ?? "");
  return raw.replace(/^\//, "");
}
