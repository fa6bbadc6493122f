export type { Agent } from "./agent.ts";
export { EngineError, agentOf, type AgentSource } from "./agent.ts";
export { DockerEngine, containerName, API_VERSION, type FileRead } from "./docker.ts";
export { guestCurlProbe, type HttpAnswer, type HttpProbe } from "./http.ts";
export {
  parseImageRef,
  canonicalRef,
  familiarRef,
  familiarRepository,
  sameImageRef,
} from "./image-ref.ts";
export type * from "./types.ts";
