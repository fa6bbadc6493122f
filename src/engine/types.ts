// The parts of the Docker Engine API 1.41 JSON (Docker 20.10) that lessons and the layers
// view read. Field names are the engine's own, so recorded replies can be pasted as they are.

export interface PortSummary {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: "tcp" | "udp" | "sctp";
}

export interface MountPoint {
  Type: "bind" | "volume" | "tmpfs" | "npipe";
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation?: string;
}

/** `GET /containers/json?all=1` item. */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports: PortSummary[];
  Labels: Record<string, string> | null;
  State: string;
  Status: string;
  Mounts: MountPoint[];
}

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

/** `GET /containers/{id}/json`. */
export interface ContainerInspect {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: {
    Status: "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";
    Running: boolean;
    Paused: boolean;
    Restarting: boolean;
    OOMKilled: boolean;
    Dead: boolean;
    Pid: number;
    ExitCode: number;
    Error: string;
    StartedAt: string;
    FinishedAt: string;
  };
  /** Image ID (sha256:…). */
  Image: string;
  /** With a leading slash: "/web". */
  Name: string;
  RestartCount: number;
  HostConfig: {
    Binds: string[] | null;
    PortBindings: Record<string, PortBinding[] | null> | null;
    AutoRemove: boolean;
  };
  GraphDriver: { Name: string; Data: Record<string, string> | null };
  Mounts: MountPoint[];
  Config: {
    Hostname: string;
    /** The reference the learner typed: "httpd", "nginx:latest", "my_game:1.0". */
    Image: string;
    Cmd: string[] | null;
    Entrypoint: string[] | null;
    Env: string[] | null;
    WorkingDir: string;
    ExposedPorts?: Record<string, object> | null;
    Labels: Record<string, string> | null;
    Tty?: boolean;
    OpenStdin?: boolean;
  };
  NetworkSettings: { Ports: Record<string, PortBinding[] | null> | null };
}

/** `GET /images/json` item. */
export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize?: number;
  Labels: Record<string, string> | null;
  Containers: number;
}

/** `GET /images/{name}/json`. */
export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  Container?: string;
  DockerVersion?: string;
  Author?: string;
  Config: {
    Cmd: string[] | null;
    Entrypoint: string[] | null;
    Env: string[] | null;
    WorkingDir: string;
    ExposedPorts?: Record<string, object> | null;
    Labels: Record<string, string> | null;
  } | null;
  Architecture: string;
  Os: string;
  Size: number;
  VirtualSize?: number;
  RootFS: { Type: string; Layers?: string[] };
}

/** `GET /images/{name}/history` item, newest first. */
export interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/** `GET /containers/{id}/changes` item. Kind: 0 modified, 1 added, 2 deleted. */
export interface ContainerChange {
  Path: string;
  Kind: 0 | 1 | 2;
}

/** `GET /containers/{id}/top`. */
export interface ContainerTop {
  Titles: string[];
  Processes: string[][];
}

export interface Volume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt?: string;
  Labels: Record<string, string> | null;
  Scope: string;
}

/** `GET /version`. */
export interface EngineVersion {
  Version: string;
  ApiVersion: string;
  Os: string;
  Arch: string;
  KernelVersion: string;
}
