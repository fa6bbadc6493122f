// The check catalogue: each named check reads the real engine state (through EngineView) or
// the learner's command log, and when it fails says WHAT IS DIFFERENT, in English and Korean.
import type { CommandReport } from "../vm/protocol.ts";
import { containerName, type DockerEngine, type FileRead } from "../engine/docker.ts";
import type { HttpAnswer, HttpProbe } from "../engine/http.ts";
import {
  familiarRef,
  familiarRepository,
  parseImageRef,
  sameImageRef,
} from "../engine/image-ref.ts";
import type {
  ContainerChange,
  ContainerInspect,
  ContainerSummary,
  ContainerTop,
  HistoryItem,
  ImageInspect,
  ImageSummary,
  Volume,
} from "../engine/types.ts";
import type { Check, CheckOf } from "./schema.ts";

/** A message in both languages the product speaks; the UI picks one. */
export interface Message {
  en: string;
  ko: string;
}

export interface CheckResult {
  check: Check;
  /** What the check asks for, e.g. "A container named web is running". */
  label: Message;
  pass: boolean;
  /** When it fails: what is different. */
  explanation?: Message;
  /** True when the check could not be answered (engine error), not a learner mistake. */
  unavailable?: boolean;
}

const m = (en: string, ko: string): Message => ({ en, ko });
const q = (s: string) => `\`${s}\``;

/**
 * A command pattern as a learner reads it: one example of what it matches
 * (`docker (container )?run hello-world(:latest)?` → `docker run hello-world`). The pattern itself
 * when it is more than optional parts and alternatives.
 */
export function exampleCommand(pattern: string): string {
  let s = pattern.replace(/^\^|\$$/g, "").replace(/\(\?:/g, "(");
  s = s.replace(/\[(\\?.)[^\]]*\]/g, "$1"); // a character class: its first character
  for (let before = ""; before !== s;) {
    before = s;
    s = s.replace(/\([^()]*\)[?*]/g, ""); // an optional part: leave it out
    s = s.replace(/\(([^()|]*)(\|[^()]*)?\)/g, "$1"); // alternatives: the first one
  }
  s = s
    .replace(/\.[*+]/g, " … ") // anything: an ellipsis
    .replace(/([^\\])\?/g, "") // one optional character: leave it out
    .replace(/\\s[+*]/g, " ")
    .replace(/\\s/g, " ")
    .replace(/\\b/g, "")
    .replace(/\\([.\-/:])/g, "$1")
    .replace(/ {2,}/g, " ")
    .trim();
  return /[\\[\]{}()*+?|^$]/.test(s) || !s ? pattern : s;
}

/**
 * One evaluation's view of the engine: each query runs at most once, so ten checks on the
 * same container cost one inspect.
 */
export class EngineView {
  private readonly cache = new Map<string, Promise<unknown>>();
  readonly engine: DockerEngine;
  constructor(engine: DockerEngine) {
    this.engine = engine;
  }
  private once<T>(key: string, load: () => Promise<T>): Promise<T> {
    let p = this.cache.get(key) as Promise<T> | undefined;
    if (!p) {
      p = load();
      this.cache.set(key, p);
    }
    return p;
  }
  containers = () => this.once<ContainerSummary[]>("containers", () => this.engine.containers());
  container = (id: string) =>
    this.once<ContainerInspect | undefined>(`c:${id}`, () => this.engine.container(id));
  changes = (id: string) => this.once<ContainerChange[]>(`d:${id}`, () => this.engine.changes(id));
  top = (id: string) => this.once<ContainerTop>(`t:${id}`, () => this.engine.top(id));
  images = () => this.once<ImageSummary[]>("images", () => this.engine.images());
  image = (ref: string) =>
    this.once<ImageInspect | undefined>(`i:${ref}`, () => this.engine.image(ref));
  history = (ref: string) => this.once<HistoryItem[]>(`h:${ref}`, () => this.engine.history(ref));
  volume = (name: string) =>
    this.once<Volume | undefined>(`v:${name}`, () => this.engine.volume(name));
  readFile = (id: string, path: string) =>
    this.once<FileRead | undefined>(`f:${id}:${path}`, () => this.engine.readFile(id, path));
  readGuestFile = (path: string) =>
    this.once<FileRead>(`gf:${path}`, () => this.engine.readGuestFile(path));
  readVolumeFile = (vol: string, path: string) =>
    this.once<FileRead | undefined>(`vf:${vol}:${path}`, () =>
      this.engine.readVolumeFile(vol, path),
    );
}

export interface CheckContext {
  view: EngineView;
  http?: HttpProbe;
  /** Commands finished since the step began, oldest first. */
  commands: readonly CommandReport[];
  /** The learner's last finished command overall (for "your last command was …"). */
  lastCommand?: CommandReport;
}

export async function runCheck(check: Check, ctx: CheckContext): Promise<CheckResult> {
  const label = describeCheck(check);
  try {
    const explanation = await explain(check, ctx);
    return explanation ? { check, label, pass: false, explanation } : { check, label, pass: true };
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    return {
      check,
      label,
      pass: false,
      unavailable: true,
      explanation: m(`Could not ask the engine: ${text}`, `엔진에 물어볼 수 없습니다: ${text}`),
    };
  }
}

/** undefined = pass; else what is different. */
async function explain(check: Check, ctx: CheckContext): Promise<Message | undefined> {
  switch (check.kind) {
    case "container":
      return explainContainer(check, ctx);
    case "noContainer":
      return explainNoContainer(check, ctx);
    case "image":
      return explainImage(check, ctx);
    case "noImage":
      return explainNoImage(check, ctx);
    case "danglingImages":
      return explainDangling(check, ctx);
    case "change":
      return explainChange(check, ctx);
    case "file":
      return explainFile(check, ctx);
    case "http":
      return explainHttp(check, ctx);
    case "command":
      return explainCommand(check, ctx);
    case "volume":
      return (await ctx.view.volume(check.name))
        ? undefined
        : m(
            `There is no volume named ${q(check.name)}.`,
            `이름이 ${q(check.name)}인 볼륨이 없습니다.`,
          );
  }
}

// ---------------------------------------------------------------------------
// Labels: what a check asks, in words
// ---------------------------------------------------------------------------

const STATE_KO: Record<string, string> = {
  created: "생성됨(created)",
  running: "실행 중(running)",
  paused: "일시 정지(paused)",
  restarting: "재시작 중(restarting)",
  removing: "삭제 중(removing)",
  exited: "종료됨(exited)",
  dead: "dead",
};

export function describeCheck(c: Check): Message {
  switch (c.kind) {
    case "container": {
      const en = [`A container ${c.name ? `named ${q(c.name)}` : `made from ${q(c.image ?? "")}`}`];
      const ko = [c.name ? `${q(c.name)} 컨테이너` : `${q(c.image ?? "")} 이미지로 만든 컨테이너`];
      if (c.name && c.image) {
        en.push(`from ${q(c.image)}`);
        ko.unshift(`${q(c.image)} 이미지로 만든`);
      }
      const enBits: string[] = [];
      const koBits: string[] = [];
      if (c.state) {
        enBits.push(`is ${c.state}`);
        koBits.push(`상태가 ${STATE_KO[c.state]}`);
      } else {
        enBits.push("exists");
        koBits.push("있음");
      }
      if (c.exitCode !== undefined) {
        enBits.push(`with exit code ${c.exitCode}`);
        koBits.push(`종료 코드 ${c.exitCode}`);
      }
      if (c.ports?.length) {
        enBits.push(`publishing ${c.ports.join(", ")}`);
        koBits.push(`포트 ${c.ports.join(", ")} 공개`);
      }
      for (const mt of c.mounts ?? []) {
        enBits.push(`with ${mt.source ?? "something"} mounted at ${mt.destination}`);
        koBits.push(`${mt.destination}에 ${mt.source ?? "볼륨"} 마운트`);
      }
      if (c.process) {
        enBits.push(`running ${q(c.process)}`);
        koBits.push(`${q(c.process)} 프로세스 실행`);
      }
      if (c.interactive !== undefined) {
        enBits.push(c.interactive ? "with -i -t" : "without -i -t");
        koBits.push(c.interactive ? "-i -t로 생성" : "-i -t 없이 생성");
      }
      if (c.autoRemove !== undefined) {
        enBits.push(c.autoRemove ? "created with --rm" : "created without --rm");
        koBits.push(c.autoRemove ? "--rm으로 생성" : "--rm 없이 생성");
      }
      return m(`${en.join(" ")} ${enBits.join(", ")}`, `${ko.join(" ")}: ${koBits.join(", ")}`);
    }
    case "noContainer":
      return c.name
        ? m(`No container named ${q(c.name)} is left`, `${q(c.name)} 컨테이너가 남아 있지 않음`)
        : m(
            `No container made from ${q(c.image ?? "")} is left`,
            `${q(c.image ?? "")} 이미지로 만든 컨테이너가 남아 있지 않음`,
          );
    case "image": {
      const en = [`The image ${q(c.ref)} exists`];
      const ko = [`${q(c.ref)} 이미지가 있음`];
      if (c.minLayers) {
        en.push(`with at least ${c.minLayers} layers`);
        ko.push(`레이어 ${c.minLayers}개 이상`);
      }
      if (c.sharesLayersWith) {
        en.push(`built on ${q(c.sharesLayersWith)}'s layers`);
        ko.push(`${q(c.sharesLayersWith)}의 레이어 위에 만들어짐`);
      }
      if (c.history) {
        en.push(`its history shows ${q(c.history)}`);
        ko.push(`history에 ${q(c.history)} 포함`);
      }
      if (c.pushedTo) {
        en.push(`pushed to ${c.pushedTo}`);
        ko.push(`${c.pushedTo}에 push됨`);
      }
      return m(en.join(", "), ko.join(", "));
    }
    case "noImage":
      return m(`The image ${q(c.ref)} is gone`, `${q(c.ref)} 이미지가 삭제됨`);
    case "danglingImages": {
      if (c.max === 0)
        return m(
          "No dangling (<none>) images are left",
          "dangling(<none>) 이미지가 남아 있지 않음",
        );
      const range =
        c.max === undefined
          ? `at least ${c.min}`
          : c.min === undefined
            ? `at most ${c.max}`
            : `${c.min}–${c.max}`;
      const rangeKo =
        c.max === undefined
          ? `${c.min}개 이상`
          : c.min === undefined
            ? `${c.max}개 이하`
            : `${c.min}–${c.max}개`;
      return m(
        `There are ${range} dangling (<none>) images`,
        `dangling(<none>) 이미지가 ${rangeKo}`,
      );
    }
    case "change": {
      const how = c.change ?? "changed";
      return m(
        `${q(`docker diff ${c.container}`)} lists ${c.path}${c.change ? ` as ${how}` : ""}`,
        `${q(`docker diff ${c.container}`)}에 ${c.path}${c.change ? `(${CHANGE_KO[how]})` : ""}가 보임`,
      );
    }
    case "file": {
      const where = c.container
        ? `container ${q(c.container)}`
        : c.volume
          ? `volume ${q(c.volume)}`
          : "the machine";
      const whereKo = c.container
        ? `${q(c.container)} 컨테이너`
        : c.volume
          ? `${q(c.volume)} 볼륨`
          : "이 머신";
      return c.contains
        ? m(
            `${c.path} in ${where} contains ${q(c.contains)}`,
            `${whereKo}의 ${c.path}에 ${q(c.contains)} 포함`,
          )
        : m(`${where} has the file ${c.path}`, `${whereKo}에 ${c.path} 파일이 있음`);
    }
    case "http": {
      const url = `http://localhost:${c.port}${c.path}`;
      return c.contains
        ? m(
            `${url} answers ${c.status} with ${q(c.contains)}`,
            `${url}가 ${c.status}와 ${q(c.contains)}로 응답`,
          )
        : m(`${url} answers ${c.status}`, `${url}가 ${c.status}로 응답`);
    }
    case "command": {
      const exit =
        c.exit === 0
          ? ""
          : c.exit === "nonzero"
            ? " (and fails)"
            : c.exit === "any"
              ? ""
              : ` (exit ${c.exit})`;
      const exitKo =
        c.exit === 0
          ? ""
          : c.exit === "nonzero"
            ? " (실패로 끝남)"
            : c.exit === "any"
              ? ""
              : ` (종료 코드 ${c.exit})`;
      const cwd = c.cwd ? ` in ${c.cwd}` : "";
      const cwdKo = c.cwd ? `${c.cwd}에서 ` : "";
      return m(
        `You ran ${q(exampleCommand(c.matches))}${cwd}${exit}`,
        `${cwdKo}${q(exampleCommand(c.matches))} 명령을 실행함${exitKo}`,
      );
    }
    case "volume":
      return m(`A volume named ${q(c.name)} exists`, `${q(c.name)} 볼륨이 있음`);
  }
}

const CHANGE_KO: Record<string, string> = {
  added: "추가됨 A",
  changed: "변경됨 C",
  deleted: "삭제됨 D",
};

// ---------------------------------------------------------------------------
// Containers
// ---------------------------------------------------------------------------

function listNames(list: ContainerSummary[]): string {
  return list
    .slice(0, 6)
    .map((c) => `${containerName(c)} (${c.State})`)
    .join(", ");
}

async function imageMatches(
  view: EngineView,
  c: { Image: string; Config: { Image: string } },
  ref: string,
) {
  if (sameImageRef(c.Config.Image, ref)) return true;
  const img = await view.image(ref);
  return !!img && img.Id === c.Image;
}

/** The containers made from `ref`, inspected in parallel (one agent round trip, not N). */
async function containersFrom(
  view: EngineView,
  all: ContainerSummary[],
  ref: string,
): Promise<(ContainerSummary & { inspect: ContainerInspect })[]> {
  const inspected = await Promise.all(all.map((c) => view.container(c.Id)));
  const out: (ContainerSummary & { inspect: ContainerInspect })[] = [];
  for (const [i, inspect] of inspected.entries())
    if (inspect && (await imageMatches(view, inspect, ref))) out.push({ ...all[i]!, inspect });
  return out;
}

async function explainContainer(
  check: CheckOf<"container">,
  ctx: CheckContext,
): Promise<Message | undefined> {
  const { view } = ctx;
  const all = await view.containers();
  if (check.name) {
    const summary = all.find((c) => containerName(c) === check.name);
    if (!summary) {
      const name = q(check.name);
      if (check.image) {
        const fromImage = await containersFrom(view, all, check.image);
        const other = fromImage.sort((a, b) => b.Created - a.Created)[0];
        if (other)
          return m(
            `There is no container named ${name}; the container made from ${q(check.image)} is named ${q(containerName(other))}. Give it the name with --name ${check.name}.`,
            `이름이 ${name}인 컨테이너가 없습니다. ${q(check.image)} 이미지로 만든 컨테이너의 이름은 ${q(containerName(other))}입니다. --name ${check.name} 옵션으로 이름을 정하세요.`,
          );
      }
      return all.length
        ? m(
            `There is no container named ${name} (containers: ${listNames(all)}).`,
            `이름이 ${name}인 컨테이너가 없습니다 (있는 컨테이너: ${listNames(all)}).`,
          )
        : m(
            `There is no container named ${name}: there are no containers at all.`,
            `이름이 ${name}인 컨테이너가 없습니다. 컨테이너가 하나도 없습니다.`,
          );
    }
    const inspect = await view.container(summary.Id);
    if (!inspect)
      return m(
        `The container ${q(check.name)} disappeared while checking.`,
        `확인하는 동안 ${q(check.name)} 컨테이너가 사라졌습니다.`,
      );
    return explainOneContainer(check, inspect, ctx);
  }
  // No name: any container from the image that satisfies the check.
  const image = check.image ?? "";
  const candidates = (await containersFrom(view, all, image)).map((c) => c.inspect);
  if (!candidates.length)
    return m(
      `No container was made from ${q(image)}${all.length ? ` (containers: ${listNames(all)})` : ": there are no containers at all"}.`,
      `${q(image)} 이미지로 만든 컨테이너가 없습니다${all.length ? ` (있는 컨테이너: ${listNames(all)})` : ". 컨테이너가 하나도 없습니다"}.`,
    );
  candidates.sort((a, b) => Date.parse(b.Created) - Date.parse(a.Created));
  let first: Message | undefined;
  for (const c of candidates) {
    const e = await explainOneContainer(check, c, ctx);
    if (!e) return undefined;
    first ??= e;
  }
  return first;
}

function stateEn(c: ContainerInspect): string {
  return c.State.Status === "exited" ? `exited (exit code ${c.State.ExitCode})` : c.State.Status;
}
function stateKo(c: ContainerInspect): string {
  return c.State.Status === "exited"
    ? `종료됨(exited, 종료 코드 ${c.State.ExitCode})`
    : (STATE_KO[c.State.Status] ?? c.State.Status);
}

async function explainOneContainer(
  check: CheckOf<"container">,
  c: ContainerInspect,
  ctx: CheckContext,
): Promise<Message | undefined> {
  const name = q(containerName(c));
  if (check.image && !(await imageMatches(ctx.view, c, check.image)))
    return m(
      `The container ${name} runs the image ${q(c.Config.Image)}; the step asks for ${q(check.image)}.`,
      `${name} 컨테이너는 ${q(c.Config.Image)} 이미지로 만들어졌습니다. 이 단계는 ${q(check.image)} 이미지를 원합니다.`,
    );
  if (check.state && c.State.Status !== check.state) {
    if (check.state === "running")
      return m(
        `A container named ${name} exists but it is ${stateEn(c)}; the step asks for it to be running.`,
        `${name} 컨테이너는 있지만 ${stateKo(c)} 상태입니다. 이 단계에서는 실행 중(running)이어야 합니다.`,
      );
    if (check.state === "exited" && c.State.Status === "running")
      return m(
        `The container ${name} is still running; the step asks for it to be stopped (exited).`,
        `${name} 컨테이너가 아직 실행 중입니다. 이 단계에서는 정지(exited)되어 있어야 합니다.`,
      );
    return m(
      `The container ${name} is ${stateEn(c)}; the step asks for ${check.state}.`,
      `${name} 컨테이너는 ${stateKo(c)} 상태입니다. 이 단계는 ${STATE_KO[check.state]} 상태를 원합니다.`,
    );
  }
  if (check.exitCode !== undefined) {
    if (c.State.Running)
      return m(
        `The container ${name} is still running, so it has no exit code yet; the step expects it to finish with ${check.exitCode}.`,
        `${name} 컨테이너가 아직 실행 중이라 종료 코드가 없습니다. 이 단계는 종료 코드 ${check.exitCode}로 끝나기를 원합니다.`,
      );
    if (c.State.ExitCode !== check.exitCode)
      return m(
        `The container ${name} exited with code ${c.State.ExitCode}; the step expects ${check.exitCode}.`,
        `${name} 컨테이너는 종료 코드 ${c.State.ExitCode}로 끝났습니다. 이 단계는 ${check.exitCode}을(를) 원합니다.`,
      );
  }
  for (const mapping of check.ports ?? []) {
    const [hostPart, rest = ""] = mapping.split(":");
    const [containerPort, proto = "tcp"] = rest.split("/");
    const key = `${containerPort}/${proto}`;
    const bindings = c.HostConfig.PortBindings ?? {};
    const hostPorts = (bindings[key] ?? []).map((b) => b.HostPort).filter(Boolean);
    if (hostPorts.includes(hostPart ?? "")) continue;
    if (hostPorts.length)
      return m(
        `Port ${containerPort} of ${name} is published on ${hostPorts.join(", ")}; the step asks for ${hostPart}.`,
        `${name}의 ${containerPort}번 포트는 ${hostPorts.join(", ")}번으로 공개되어 있습니다. 이 단계는 ${hostPart}번을 원합니다.`,
      );
    const other = Object.entries(bindings).find(([, bs]) =>
      (bs ?? []).some((b) => b.HostPort === hostPart),
    );
    if (other)
      return m(
        `Host port ${hostPart} leads to port ${other[0]} of ${name}; the step asks for container port ${containerPort} (-p ${hostPart}:${containerPort}).`,
        `호스트 ${hostPart}번 포트가 ${name}의 ${other[0]} 포트로 연결되어 있습니다. 이 단계는 컨테이너 ${containerPort}번 포트를 원합니다 (-p ${hostPart}:${containerPort}).`,
      );
    return m(
      `Port ${containerPort} of ${name} is not published; the step asks for -p ${hostPart}:${containerPort}. Ports are fixed when a container is created.`,
      `${name}의 ${containerPort}번 포트가 공개되어 있지 않습니다. 이 단계는 -p ${hostPart}:${containerPort}를 원합니다. 포트는 컨테이너를 만들 때 정해집니다.`,
    );
  }
  for (const want of check.mounts ?? []) {
    const got = c.Mounts.find(
      (mt) => mt.Destination.replace(/\/$/, "") === want.destination.replace(/\/$/, ""),
    );
    if (!got)
      return m(
        `Nothing is mounted at ${want.destination} in ${name}${c.Mounts.length ? ` (mounts: ${c.Mounts.map((x) => x.Destination).join(", ")})` : ""}; the step asks for -v ${want.source ?? "…"}:${want.destination}.`,
        `${name}의 ${want.destination}에 마운트된 것이 없습니다. 이 단계는 -v ${want.source ?? "…"}:${want.destination}를 원합니다.`,
      );
    if (want.type && got.Type !== want.type)
      return m(
        `${want.destination} in ${name} is a ${got.Type} mount; the step asks for a ${want.type} mount.`,
        `${name}의 ${want.destination}는 ${got.Type} 마운트입니다. 이 단계는 ${want.type} 마운트를 원합니다.`,
      );
    if (want.source) {
      const source = got.Type === "volume" ? (got.Name ?? got.Source) : got.Source;
      if (source.replace(/\/$/, "") !== want.source.replace(/\/$/, ""))
        return m(
          `${want.destination} in ${name} comes from ${source}; the step asks for ${want.source}.`,
          `${name}의 ${want.destination}는 ${source}에서 옵니다. 이 단계는 ${want.source}를 원합니다.`,
        );
    }
  }
  if (check.interactive !== undefined) {
    const it = !!c.Config.Tty && !!c.Config.OpenStdin;
    if (it !== check.interactive)
      return check.interactive
        ? m(
            `${name} was created without -i -t, so it has no terminal to type into; create it again with -i -t.`,
            `${name} 컨테이너는 -i -t 없이 만들어져서 입력할 터미널이 없습니다. -i -t로 다시 만드세요.`,
          )
        : m(`${name} was created with -i -t.`, `${name} 컨테이너는 -i -t로 만들어졌습니다.`);
  }
  if (check.autoRemove !== undefined && c.HostConfig.AutoRemove !== check.autoRemove)
    return check.autoRemove
      ? m(`${name} was created without --rm.`, `${name} 컨테이너는 --rm 없이 만들어졌습니다.`)
      : m(`${name} was created with --rm.`, `${name} 컨테이너는 --rm으로 만들어졌습니다.`);
  if (check.process) {
    if (!c.State.Running)
      return m(
        `${name} is ${stateEn(c)}, so no process runs in it.`,
        `${name} 컨테이너가 ${stateKo(c)} 상태라 실행 중인 프로세스가 없습니다.`,
      );
    const top = await ctx.view.top(c.Id);
    const cmdCol = Math.max(
      0,
      top.Titles.findIndex((t) => t === "CMD" || t === "COMMAND"),
    );
    const procs = top.Processes.map((p) => p[cmdCol] ?? p.join(" "));
    if (!procs.some((p) => p.includes(check.process ?? "")))
      return m(
        `No process in ${name} runs ${q(check.process)} (processes: ${procs.slice(0, 5).join("; ")}).`,
        `${name} 안에 ${q(check.process)} 프로세스가 없습니다 (프로세스: ${procs.slice(0, 5).join("; ")}).`,
      );
  }
  return undefined;
}

async function explainNoContainer(
  check: CheckOf<"noContainer">,
  ctx: CheckContext,
): Promise<Message | undefined> {
  const all = await ctx.view.containers();
  if (check.name) {
    const left = all.find((c) => containerName(c) === check.name);
    if (!left) return undefined;
    const running = left.State === "running";
    return m(
      `A container named ${q(check.name)} still exists (${left.State})${running ? "; stop it first or remove it with -f" : ""}.`,
      `${q(check.name)} 컨테이너가 아직 있습니다 (${left.State})${running ? ". 먼저 정지하거나 -f로 삭제하세요" : ""}.`,
    );
  }
  const image = check.image ?? "";
  const left = await containersFrom(ctx.view, all, image);
  if (!left.length) return undefined;
  return m(
    `${left.length} container(s) made from ${q(image)} still exist: ${listNames(left)}.`,
    `${q(image)} 이미지로 만든 컨테이너가 아직 ${left.length}개 있습니다: ${listNames(left)}.`,
  );
}

// ---------------------------------------------------------------------------
// Images
// ---------------------------------------------------------------------------

function tagsOf(images: ImageSummary[]): string[] {
  return images.flatMap((i) => (i.RepoTags ?? []).filter((t) => t !== "<none>:<none>"));
}

async function explainImage(
  check: CheckOf<"image">,
  ctx: CheckContext,
): Promise<Message | undefined> {
  const { view } = ctx;
  const img = await view.image(check.ref);
  const ref = q(familiarRef(check.ref));
  if (!img) {
    const tags = tagsOf(await view.images());
    const repo = familiarRepository(check.ref);
    const sameRepo = tags.filter((t) => familiarRepository(t) === repo);
    if (sameRepo.length)
      return m(
        `There is no image ${ref}; ${q(repo)} has: ${sameRepo.join(", ")}. Check the tag after ':'.`,
        `${ref} 이미지가 없습니다. ${q(repo)}에는 ${sameRepo.join(", ")}가 있습니다. ':' 뒤의 태그를 확인하세요.`,
      );
    return m(
      `There is no image ${ref}${tags.length ? ` (images: ${tags.slice(0, 8).join(", ")})` : ": there are no images at all"}.`,
      `${ref} 이미지가 없습니다${tags.length ? ` (있는 이미지: ${tags.slice(0, 8).join(", ")})` : ". 이미지가 하나도 없습니다"}.`,
    );
  }
  if (
    !img.RepoTags.some((t) => sameImageRef(t, check.ref)) &&
    parseImageRef(check.ref).digest === undefined
  ) {
    // Inspect also resolves IDs and prefixes; the step asks for the name.
    return m(
      `${ref} matches an image ID, not a tag.`,
      `${ref}는 태그가 아니라 이미지 ID와 일치합니다.`,
    );
  }
  const layers = img.RootFS.Layers ?? [];
  if (check.minLayers && layers.length < check.minLayers)
    return m(
      `${ref} has ${layers.length} layer(s); the step expects at least ${check.minLayers}.`,
      `${ref}의 레이어는 ${layers.length}개입니다. 이 단계는 ${check.minLayers}개 이상을 원합니다.`,
    );
  if (check.sharesLayersWith) {
    const base = await view.image(check.sharesLayersWith);
    const baseRef = q(familiarRef(check.sharesLayersWith));
    if (!base)
      return m(
        `${baseRef} is not here, so ${ref} cannot be compared with it.`,
        `${baseRef} 이미지가 없어서 ${ref}와 비교할 수 없습니다.`,
      );
    const baseLayers = base.RootFS.Layers ?? [];
    const shared = baseLayers.filter((l, i) => layers[i] === l).length;
    if (shared < baseLayers.length)
      return m(
        `${ref} does not sit on ${baseRef}: it shares ${shared} of ${baseRef}'s ${baseLayers.length} layers.`,
        `${ref}는 ${baseRef} 위에 만들어지지 않았습니다: ${baseRef}의 레이어 ${baseLayers.length}개 중 ${shared}개만 같습니다.`,
      );
  }
  if (check.history) {
    const history = await view.history(check.ref);
    if (!history.some((h) => h.CreatedBy.includes(check.history ?? "")))
      return m(
        `No line of ${q(`docker history ${familiarRef(check.ref)}`)} contains ${q(check.history)}; the newest says ${q(clip(history[0]?.CreatedBy ?? ""))}.`,
        `${q(`docker history ${familiarRef(check.ref)}`)}의 어느 줄에도 ${q(check.history)}가 없습니다. 가장 최근 줄: ${q(clip(history[0]?.CreatedBy ?? ""))}.`,
      );
  }
  if (check.pushedTo) {
    const host = check.pushedTo.replace(/\/$/, "");
    if (!img.RepoDigests.some((d) => d.startsWith(`${host}/`)))
      return m(
        `${ref} has no digest from ${host} yet: it has not been pushed there${img.RepoDigests.length ? ` (digests: ${img.RepoDigests.map((d) => d.split("@")[0]).join(", ")})` : ""}.`,
        `${ref}에는 아직 ${host}의 다이제스트가 없습니다. 아직 push되지 않았습니다.`,
      );
  }
  return undefined;
}

function clip(s: string, n = 70): string {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}

async function explainNoImage(
  check: CheckOf<"noImage">,
  ctx: CheckContext,
): Promise<Message | undefined> {
  const img = await ctx.view.image(check.ref);
  if (!img || !img.RepoTags.some((t) => sameImageRef(t, check.ref))) return undefined;
  const ref = q(familiarRef(check.ref));
  const users: string[] = [];
  for (const c of await ctx.view.containers())
    if (c.ImageID === img.Id) users.push(containerName(c));
  if (users.length)
    return m(
      `The image ${ref} is still here; container ${users.map(q).join(", ")} uses it — remove the container first or use -f.`,
      `${ref} 이미지가 아직 있습니다. ${users.map(q).join(", ")} 컨테이너가 이 이미지를 쓰고 있습니다 — 컨테이너를 먼저 삭제하거나 -f를 쓰세요.`,
    );
  return m(`The image ${ref} is still here.`, `${ref} 이미지가 아직 있습니다.`);
}

async function explainDangling(
  check: CheckOf<"danglingImages">,
  ctx: CheckContext,
): Promise<Message | undefined> {
  const images = await ctx.view.images();
  const dangling = images.filter((i) => !tagsOf([i]).length);
  const n = dangling.length;
  if (check.min !== undefined && n < check.min)
    return m(
      `There are ${n} dangling (<none>) images; the step expects at least ${check.min}.`,
      `dangling(<none>) 이미지가 ${n}개입니다. 이 단계는 ${check.min}개 이상을 원합니다.`,
    );
  if (check.max !== undefined && n > check.max)
    return m(
      `There are still ${n} dangling (<none>) image(s): ${dangling.map((i) => i.Id.replace("sha256:", "").slice(0, 12)).join(", ")}.`,
      `dangling(<none>) 이미지가 아직 ${n}개 있습니다: ${dangling.map((i) => i.Id.replace("sha256:", "").slice(0, 12)).join(", ")}.`,
    );
  return undefined;
}

// ---------------------------------------------------------------------------
// Container changes and files
// ---------------------------------------------------------------------------

const KIND_LETTER = ["C", "A", "D"] as const;
const KIND_NAME = ["changed", "added", "deleted"] as const;

async function explainChange(
  check: CheckOf<"change">,
  ctx: CheckContext,
): Promise<Message | undefined> {
  const c = await findByName(check.container, ctx);
  if ("explanation" in c) return c.explanation;
  const changes = await ctx.view.changes(c.container.Id);
  const hit = changes.find((x) => x.Path === check.path);
  const name = q(check.container);
  if (!hit) {
    const listed = changes.slice(0, 6).map((x) => `${KIND_LETTER[x.Kind]} ${x.Path}`);
    return m(
      `${q(`docker diff ${check.container}`)} does not list ${check.path}${listed.length ? `; it lists: ${listed.join(", ")}` : ": the container's writable layer is empty"}.`,
      `${q(`docker diff ${check.container}`)}에 ${check.path}가 없습니다${listed.length ? `. 보이는 것: ${listed.join(", ")}` : ". 컨테이너의 쓰기 레이어가 비어 있습니다"}.`,
    );
  }
  if (check.change && KIND_NAME[hit.Kind] !== check.change)
    return m(
      `${check.path} is ${KIND_NAME[hit.Kind]} (${KIND_LETTER[hit.Kind]}) in ${name}; the step expects it ${check.change}.`,
      `${name}에서 ${check.path}는 ${CHANGE_KO[KIND_NAME[hit.Kind]]}입니다. 이 단계는 ${CHANGE_KO[check.change]}을(를) 원합니다.`,
    );
  return undefined;
}

async function findByName(
  name: string,
  ctx: CheckContext,
): Promise<{ container: ContainerInspect } | { explanation: Message }> {
  const all = await ctx.view.containers();
  const s = all.find((c) => containerName(c) === name);
  const inspect = s && (await ctx.view.container(s.Id));
  if (inspect) return { container: inspect };
  return {
    explanation: m(
      `There is no container named ${q(name)}${all.length ? ` (containers: ${listNames(all)})` : ""}.`,
      `이름이 ${q(name)}인 컨테이너가 없습니다${all.length ? ` (있는 컨테이너: ${listNames(all)})` : ""}.`,
    ),
  };
}

async function explainFile(
  check: CheckOf<"file">,
  ctx: CheckContext,
): Promise<Message | undefined> {
  let read: FileRead | undefined;
  let where: Message;
  if (check.container) {
    const c = await findByName(check.container, ctx);
    if ("explanation" in c) return c.explanation;
    read = await ctx.view.readFile(c.container.Id, check.path);
    where = m(`container ${q(check.container)}`, `${q(check.container)} 컨테이너`);
  } else if (!check.volume) {
    read = await ctx.view.readGuestFile(check.path);
    where = m("the machine", "이 머신");
  } else {
    const vol = check.volume;
    read = await ctx.view.readVolumeFile(vol, check.path);
    where = m(`volume ${q(vol)}`, `${q(vol)} 볼륨`);
    if (!read)
      return m(`There is no volume named ${q(vol)}.`, `이름이 ${q(vol)}인 볼륨이 없습니다.`);
  }
  if (!read || !read.found) {
    const dir = read && !read.found && read.reason === "directory";
    return dir
      ? m(
          `${check.path} in ${where.en} is a folder, not a file.`,
          `${where.ko}의 ${check.path}는 파일이 아니라 폴더입니다.`,
        )
      : m(
          `${where.en[0]!.toUpperCase()}${where.en.slice(1)} has no file ${check.path}.`,
          `${where.ko}에 ${check.path} 파일이 없습니다.`,
        );
  }
  if (check.contains && !read.content.includes(check.contains))
    return m(
      `${check.path} in ${where.en} exists but does not contain ${q(check.contains)}.`,
      `${where.ko}의 ${check.path}는 있지만 ${q(check.contains)}가 들어 있지 않습니다.`,
    );
  return undefined;
}

// ---------------------------------------------------------------------------
// HTTP and the command log
// ---------------------------------------------------------------------------

function pageTitle(body: string): string | undefined {
  const t = /<title>([^<]*)<\/title>/i.exec(body)?.[1] ?? /<h1>([^<]*)<\/h1>/i.exec(body)?.[1];
  return t?.trim() || undefined;
}

async function explainHttp(
  check: CheckOf<"http">,
  ctx: CheckContext,
): Promise<Message | undefined> {
  if (!ctx.http) throw new Error("no way to reach published ports is available here");
  const url = `http://localhost:${check.port}${check.path}`;
  const answer: HttpAnswer = await ctx.http(check.port, check.path);
  if (!answer.ok) {
    if (answer.reason === "refused")
      return m(
        `Nothing answers on port ${check.port} (connection refused): no running container publishes it.`,
        `${check.port}번 포트에서 아무도 응답하지 않습니다(연결 거부). 이 포트를 공개한 실행 중인 컨테이너가 없습니다.`,
      );
    return m(
      `${url} did not answer (${answer.reason}: ${answer.detail}).`,
      `${url}가 응답하지 않았습니다 (${answer.reason}: ${answer.detail}).`,
    );
  }
  if (answer.status !== check.status)
    return m(
      `${url} answered ${answer.status}; the step expects ${check.status}.`,
      `${url}가 ${answer.status}로 응답했습니다. 이 단계는 ${check.status}를 원합니다.`,
    );
  if (check.contains && !answer.body.includes(check.contains)) {
    const title = pageTitle(answer.body);
    return m(
      `Port ${check.port} answers, but the page does not contain ${q(check.contains)}${title ? `; it shows ${q(title)}` : ""}.`,
      `${check.port}번 포트는 응답하지만 페이지에 ${q(check.contains)}가 없습니다${title ? `. 지금 보이는 페이지: ${q(title)}` : ""}.`,
    );
  }
  return undefined;
}

export function normaliseCommand(cmd: string): string {
  return cmd.trim().replace(/\s+/g, " ");
}

function exitOk(want: number | "nonzero" | "any", exit: number): boolean {
  return want === "any" || (want === "nonzero" ? exit !== 0 : exit === want);
}

async function explainCommand(
  check: CheckOf<"command">,
  ctx: CheckContext,
): Promise<Message | undefined> {
  const re = new RegExp(`^(?:${check.matches})$`);
  const matching = ctx.commands.filter((c) => re.test(normaliseCommand(c.cmd)));
  if (!matching.length) {
    const last = ctx.commands[ctx.commands.length - 1] ?? ctx.lastCommand;
    const tail = last
      ? m(
          ` (your last command was ${q(normaliseCommand(last.cmd))}, exit ${last.exit})`,
          ` (마지막 명령: ${q(normaliseCommand(last.cmd))}, 종료 코드 ${last.exit})`,
        )
      : m("", "");
    return m(
      `No command matching ${q(check.matches)} has finished since this step began${tail.en}.`,
      `이 단계가 시작된 뒤 ${q(check.matches)}에 맞는 명령이 끝난 적이 없습니다${tail.ko}.`,
    );
  }
  const good = matching.filter(
    (c) => exitOk(check.exit, c.exit) && (!check.cwd || c.cwd === check.cwd),
  );
  if (good.length) return undefined;
  const last = matching[matching.length - 1]!;
  const cmd = q(normaliseCommand(last.cmd));
  if (!exitOk(check.exit, last.exit))
    return check.exit === "nonzero"
      ? m(
          `${cmd} succeeded (exit 0); this step wants to see it fail.`,
          `${cmd}가 성공했습니다(종료 코드 0). 이 단계는 실패하는 모습을 보려는 것입니다.`,
        )
      : m(
          `${cmd} finished with exit code ${last.exit}; the step expects ${check.exit}. Read its error message above.`,
          `${cmd}가 종료 코드 ${last.exit}로 끝났습니다. 이 단계는 ${check.exit}을(를) 원합니다. 위의 오류 메시지를 읽어 보세요.`,
        );
  return m(
    `${cmd} ran in ${last.cwd}; the step expects it in ${check.cwd} (cd ${check.cwd}).`,
    `${cmd}를 ${last.cwd}에서 실행했습니다. 이 단계는 ${check.cwd}에서 실행하기를 원합니다 (cd ${check.cwd}).`,
  );
}
