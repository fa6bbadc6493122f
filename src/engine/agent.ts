// The engine reads Docker state only through this interface, so the browser hands it the
// worker's agent, Node tests a booted guest, and unit tests a recorded one.
import type { AgentEvent, AgentReply, AgentRequest, MachineEvent } from "../vm/protocol.ts";

export interface Agent {
  request(request: AgentRequest): Promise<AgentReply>;
  /** Subscribe to agent events (docker events, finished learner commands); returns unsubscribe. */
  onEvent(listener: (event: AgentEvent) => void): () => void;
}

/** The agent or the engine answered with an error. */
export class EngineError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.name = "EngineError";
    this.status = status;
  }
}

/** Anything that answers agent requests and streams MachineEvents: the Node Machine, the worker client. */
export interface AgentSource {
  agent(request: AgentRequest): Promise<AgentReply>;
  on(listener: (event: MachineEvent) => void): () => void;
}

/** Adapt a Machine (or the worker client) to the engine's Agent interface. */
export function agentOf(source: AgentSource): Agent {
  return {
    request: (r) => source.agent(r),
    onEvent: (listener) =>
      source.on((e) => {
        if (e.type === "agent") listener(e.event);
      }),
  };
}
