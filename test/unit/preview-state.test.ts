// The Preview tab's state against a recorded engine: which ports running containers publish,
// and what the tab says when the port answers, refuses, or its container stopped.
import { describe, expect, it } from "vitest";
import { PreviewState, previewUrl, publishedPorts } from "../../src/ui/preview.svelte.ts";
import { I18n } from "../../src/i18n/i18n.svelte.ts";
import type { ContainerSummary } from "../../src/engine/types.ts";
import type {
  AgentReply,
  AgentRequest,
  GuestHttpResponse,
  MachineEvent,
} from "../../src/vm/protocol.ts";
import type { MachineClient } from "../../src/vm/client.svelte.ts";

const container = (over: Partial<ContainerSummary>): ContainerSummary => ({
  Id: "c1",
  Names: ["/web"],
  Image: "nginx",
  ImageID: "sha256:1",
  Command: "nginx -g 'daemon off;'",
  Created: 0,
  Ports: [],
  Labels: null,
  State: "running",
  Status: "Up 1 second",
  Mounts: [],
  ...over,
});

// What `GET /containers/json?all=1` answered for `docker run -d -p 8080:80 nginx` plus others.
const recorded: ContainerSummary[] = [
  container({
    Ports: [
      { IP: "0.0.0.0", PrivatePort: 80, PublicPort: 8080, Type: "tcp" },
      { IP: "::", PrivatePort: 80, PublicPort: 8080, Type: "tcp" },
    ],
  }),
  container({
    Id: "c2",
    Names: ["/game"],
    Image: "my_game:1.0",
    Ports: [{ IP: "0.0.0.0", PrivatePort: 80, PublicPort: 900, Type: "tcp" }],
  }),
  container({ Id: "c3", Names: ["/exposed"], Ports: [{ PrivatePort: 80, Type: "tcp" }] }),
  container({
    Id: "c4",
    Names: ["/old"],
    State: "exited",
    Ports: [{ IP: "0.0.0.0", PrivatePort: 80, PublicPort: 818, Type: "tcp" }],
  }),
  container({
    Id: "c5",
    Names: ["/dns"],
    Ports: [{ IP: "0.0.0.0", PrivatePort: 53, PublicPort: 5353, Type: "udp" }],
  }),
];

describe("publishedPorts", () => {
  it("running containers' TCP host ports, once each, sorted", () => {
    expect(publishedPorts(recorded)).toEqual([
      { port: 900, privatePort: 80, container: "game", image: "my_game:1.0" },
      { port: 8080, privatePort: 80, container: "web", image: "nginx" },
    ]);
  });

  it("the route of a port and path", () => {
    expect(previewUrl(8080, "/a/b?c=1")).toBe("/preview/8080/a/b?c=1");
    expect(previewUrl(80, "x")).toBe("/preview/80/x");
  });
});

/** A machine handle answering from recordings: the containers list and one HTTP answer. */
function recordedMachine() {
  const listeners = new Set<(e: MachineEvent) => void>();
  const state = {
    containers: recorded,
    http: { ok: true, status: 200, statusText: "OK", headers: [], body: new Uint8Array() } as
      GuestHttpResponse | undefined,
  };
  const machine = {
    phase: "ready",
    async agent(request: AgentRequest): Promise<AgentReply> {
      if (request.op === "api" && request.path.endsWith("/containers/json?all=1"))
        return { id: 1, ok: true, op: "api", status: 200, body: state.containers };
      return { id: 1, ok: false, error: "not recorded" };
    },
    on(listener: (e: MachineEvent) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async http(): Promise<GuestHttpResponse> {
      return state.http!;
    },
  };
  return { machine: machine as unknown as MachineClient, state };
}

describe("PreviewState", () => {
  it("lists ports, opens one, and says when its container stopped", async () => {
    const { machine, state } = recordedMachine();
    const preview = new PreviewState(machine, new I18n(["en"], undefined));
    expect(preview.workerReady).toBe(false); // no service workers in Node: said, not hidden
    await preview.refresh();
    expect(preview.ports.map((p) => p.port)).toEqual([900, 8080]);

    preview.open(8080);
    expect(preview.openRequests).toBe(1);
    await preview.check();
    expect(preview.status).toEqual({ kind: "ok" });
    expect(preview.src).toBe("/preview/8080/");

    preview.navigate("index.html?x=1");
    expect(preview.src).toBe("/preview/8080/index.html?x=1");

    // `docker stop web`: the list loses 8080 and the tab says the container stopped.
    state.containers = recorded.filter((c) => c.Id !== "c1");
    await preview.refresh();
    expect(preview.status).toEqual({ kind: "stopped" });

    state.http = { ok: false, reason: "refused", message: "nothing listens on localhost:8080" };
    await preview.check();
    expect(preview.status).toEqual({ kind: "stopped" });
    preview.dispose();
  });

  it("a port never seen published that refuses: 'nothing listens', not 'stopped'", async () => {
    const { machine, state } = recordedMachine();
    state.http = { ok: false, reason: "refused", message: "nothing listens on localhost:3000" };
    const preview = new PreviewState(machine, new I18n(["en"], undefined));
    await preview.refresh();
    preview.open(3000);
    await preview.check();
    expect(preview.status).toMatchObject({ kind: "failed", reason: "refused" });
    preview.dispose();
  });
});
