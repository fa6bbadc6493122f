// The Files tab's state: the workspace folder in the guest (/root/workspace) as a list, the file
// open in the editor, and saving it back. What the shell changes shows up after each command.
import { agentOf } from "../engine/agent.ts";
import type { MachineClient } from "../vm/client.svelte.ts";
import {
  GuestFiles,
  WORKSPACE,
  checkPath,
  type Exec,
  type WorkspaceEntry,
} from "../workspace/guest-files.ts";
import { WorkspaceSync } from "../workspace/sync.ts";

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
  readonly root = WORKSPACE;
  readonly sync: WorkspaceSync;
  #off: () => void;

  constructor(machine: MachineClient) {
    const exec: Exec = async (argv, opts = {}) => {
      const reply = await machine.agent({ op: "exec", argv, ...opts });
      if (!reply.ok) throw new Error(reply.error);
      if (reply.op !== "exec") throw new Error(`agent answered ${reply.op} to exec`);
      return reply;
    };
    this.sync = new WorkspaceSync(new GuestFiles(exec), agentOf(machine));
    this.#off = this.sync.onChange((entries) => {
      this.entries = entries;
      // A file deleted or renamed in the shell closes here instead of saving it back.
      if (this.open && !entries.some((e) => e.path === this.open!.path && e.kind === "file")) {
        this.open = undefined;
        this.dirty = false;
      }
    });
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

  dispose(): void {
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
