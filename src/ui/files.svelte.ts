// The Files tab's state: the workspace folder in the guest (/root/workspace) as a list, the file
// open in the editor, and saving it back. What the shell changes shows up after each command.
// A copy kept in this browser puts the files back after a machine reset; the workspace can be
// downloaded as a tar archive and uploaded back.
import { agentOf } from "../engine/agent.ts";
import type { MachineClient } from "../vm/client.svelte.ts";
import {
  GuestFiles,
  WORKSPACE,
  agentWriteFile,
  checkPath,
  type Exec,
  type WorkspaceEntry,
} from "../workspace/guest-files.ts";
import { WorkspaceSync } from "../workspace/sync.ts";
import { WorkspaceMirror, type MirrorSummary } from "../workspace/mirror.ts";
import { WorkspaceKeeper } from "../workspace/keeper.ts";
import { readTar, writeTar } from "../workspace/tar.ts";

export interface OpenFile {
  path: string;
  /** The text as last loaded or saved (the editor holds the live text). */
  saved: string;
}

export class FilesState {
  entries = $state.raw<WorkspaceEntry[]>([]);
  open = $state.raw<OpenFile | undefined>(undefined);
  dirty = $state(false);
  busy = $state(false);
  error = $state<string | undefined>(undefined);
  /** Bumped after each save that reached the guest (tests and the status line read it). */
  saves = $state(0);
  /** What the browser's copy holds (and what it could not keep). */
  kept = $state.raw<MirrorSummary | undefined>(undefined);
  /** Bumped each time the copy was put back into a started machine (tests read it). */
  restores = $state(0);
  /** How many files the last put-back wrote into the guest. */
  putBack = $state(0);
  readonly root = WORKSPACE;
  readonly sync: WorkspaceSync;
  readonly keeper: WorkspaceKeeper;
  #off: () => void;

  constructor(machine: MachineClient, mirror = new WorkspaceMirror()) {
    const exec: Exec = async (argv, opts = {}) => {
      const reply = await machine.agent({ op: "exec", argv, ...opts });
      if (!reply.ok) throw new Error(reply.error);
      if (reply.op !== "exec") throw new Error(`agent answered ${reply.op} to exec`);
      return reply;
    };
    const files = new GuestFiles(
      exec,
      WORKSPACE,
      agentWriteFile((r) => machine.agent(r)),
    );
    this.sync = new WorkspaceSync(files, agentOf(machine));
    this.#off = this.sync.onChange((entries) => {
      this.entries = entries;
      // A file deleted or renamed in the shell closes here instead of saving it back.
      if (this.open && !entries.some((e) => e.path === this.open!.path && e.kind === "file")) {
        this.open = undefined;
        this.dirty = false;
      }
    });
    this.keeper = new WorkspaceKeeper(this.sync, mirror, machine, {
      onReport: ({ putBack, summary, settled }) => {
        this.kept = summary;
        if (!settled) return;
        this.putBack = putBack.length;
        this.restores++;
      },
      onError: (error) => (this.error = error instanceof Error ? error.message : String(error)),
    });
    // The keeper puts the copy back on every later start; this one may already be running.
    if (machine.phase === "ready" || machine.phase === "busy") void this.keeper.settle();
  }

  async refresh(): Promise<void> {
    await this.#do(() => this.sync.refresh());
  }

  /** Loads a file for the editor; resolves with its text. */
  async openFile(path: string): Promise<string | undefined> {
    let text: string | undefined;
    await this.#do(async () => {
      text = await this.sync.files.readText(path);
      this.open = { path, saved: text };
      this.dirty = false;
    });
    return text;
  }

  async save(text: string): Promise<void> {
    const file = this.open;
    if (!file) return;
    await this.#do(async () => {
      await this.sync.save(file.path, text);
      // "Saved" means kept in this browser too: a Reset right after it loses nothing.
      await this.keeper.idle();
      this.open = { path: file.path, saved: text };
      this.dirty = false;
      this.saves++;
    });
  }

  async create(path: string, kind: "file" | "dir" = "file"): Promise<boolean> {
    return this.#do(async () => {
      const clean = checkPath(path);
      if (this.entries.some((e) => e.path === clean)) throw new Error(`${clean} already exists`);
      if (kind === "dir") await this.sync.files.mkdir(clean);
      else await this.sync.files.write(clean, "");
      await this.sync.refresh();
    });
  }

  async rename(from: string, to: string): Promise<boolean> {
    return this.#do(async () => {
      await this.sync.files.rename(from, to);
      if (this.open?.path === from) this.open = { ...this.open, path: checkPath(to) };
      await this.sync.refresh();
    });
  }

  async remove(path: string): Promise<boolean> {
    return this.#do(async () => {
      await this.sync.files.remove(path);
      if (this.open && (this.open.path === path || this.open.path.startsWith(`${path}/`))) {
        this.open = undefined;
        this.dirty = false;
      }
      await this.sync.refresh();
    });
  }

  /** The workspace as a tar archive (made by the guest's tar: every file, whatever its size). */
  async download(): Promise<Uint8Array | undefined> {
    let archive: Uint8Array | undefined;
    await this.#do(async () => {
      archive = await this.sync.files.archive();
    });
    return archive;
  }

  /**
   * Unpacks an uploaded tar archive into the workspace: `replace` removes what is there first,
   * `merge` overwrites same-named files and keeps the rest. A damaged archive or a name outside
   * the workspace is refused before anything in the guest changes.
   */
  async upload(archive: Uint8Array, mode: "replace" | "merge"): Promise<boolean> {
    return this.#do(async () => {
      const entries = readTar(archive).map((e) => ({ ...e, path: checkPath(e.path) }));
      if (entries.length === 0) throw new Error("The archive holds no files.");
      await this.sync.files.extract(writeTar(entries), mode);
      if (this.open) {
        const path = this.open.path;
        const text = await this.sync.files.readText(path).catch(() => undefined);
        this.open = text === undefined ? undefined : { path, saved: text };
        this.dirty = false;
      }
      await this.sync.refresh();
      await this.keeper.record();
    });
  }

  dispose(): void {
    this.keeper.dispose();
    this.#off();
    this.sync.dispose();
  }

  /** Runs one workspace action; its failure becomes the message, never a thrown error. */
  async #do(action: () => Promise<void>): Promise<boolean> {
    this.busy = true;
    this.error = undefined;
    try {
      await action();
      return true;
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
      return false;
    } finally {
      this.busy = false;
    }
  }
}
