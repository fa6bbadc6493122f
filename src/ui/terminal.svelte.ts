import { Terminal, type ITheme } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import { WebLinksAddon } from "@xterm/addon-web-links";
import type { LearnerPort } from "../vm/protocol.ts";
import { safeLocalStorage } from "../i18n/i18n.svelte.ts";

/** What a terminal needs from the machine: MachineClient provides it. */
export interface TerminalLink {
  onOutput(port: LearnerPort, listener: (data: Uint8Array) => void): () => void;
  write(port: LearnerPort, data: Uint8Array): void;
  resize(port: LearnerPort, rows: number, cols: number): Promise<void>;
}

export const FONT_MIN = 9;
export const FONT_MAX = 32;
export const FONT_DEFAULT = 14;
const FONT_KEY = "docker-sandbox:terminal-font";
const READER_KEY = "docker-sandbox:screen-reader";

/** Settings shared by every terminal tab, remembered between visits. */
export class TerminalPrefs {
  fontSize = $state(FONT_DEFAULT);
  screenReader = $state(false);
  #storage = safeLocalStorage();

  constructor() {
    const saved = Number(this.#storage?.getItem(FONT_KEY));
    if (saved >= FONT_MIN && saved <= FONT_MAX) this.fontSize = saved;
    this.screenReader = this.#storage?.getItem(READER_KEY) === "1";
  }

  zoom(step: number): void {
    this.setFontSize(step === 0 ? FONT_DEFAULT : this.fontSize + step);
  }

  setFontSize(size: number): void {
    this.fontSize = Math.min(FONT_MAX, Math.max(FONT_MIN, Math.round(size)));
    this.#storage?.setItem(FONT_KEY, String(this.fontSize));
  }

  setScreenReader(on: boolean): void {
    this.screenReader = on;
    this.#storage?.setItem(READER_KEY, on ? "1" : "0");
  }
}

/** What a key press means to the page before xterm turns it into bytes for the guest. */
export type KeyAction = "copy" | "paste" | "zoom-in" | "zoom-out" | "zoom-reset" | "guest";

/**
 * Decides who owns a key: the browser's clipboard and zoom keys become page actions, and
 * everything else, including Ctrl+P and Ctrl+Q (docker's detach keys), goes to the guest.
 */
export function keyAction(
  event: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "shiftKey" | "altKey" | "type">,
  hasSelection: boolean,
): KeyAction {
  const mod = event.ctrlKey || event.metaKey;
  if (event.type !== "keydown" || !mod || event.altKey) return "guest";
  const key = event.key.toLowerCase();
  if (key === "c" && (event.shiftKey || hasSelection)) return "copy";
  if (key === "v") return "paste";
  if (key === "=" || key === "+") return "zoom-in";
  if (key === "-" || key === "_") return "zoom-out";
  if (key === "0") return "zoom-reset";
  return "guest";
}

export const lightTheme: ITheme = {
  background: "#fbfbfd",
  foreground: "#1f2430",
  cursor: "#1f6feb",
  cursorAccent: "#fbfbfd",
  selectionBackground: "#b6d4fe",
  black: "#1f2430",
  red: "#c0262d",
  green: "#1a7f37",
  yellow: "#8a6100",
  blue: "#0b5cd5",
  magenta: "#8250df",
  cyan: "#0e7c86",
  white: "#6e7781",
  brightBlack: "#57606a",
  brightRed: "#a40e26",
  brightGreen: "#116329",
  brightYellow: "#6f4e00",
  brightBlue: "#0550ae",
  brightMagenta: "#6639ba",
  brightCyan: "#0b5e66",
  brightWhite: "#8c959f",
};

export const darkTheme: ITheme = {
  background: "#11151c",
  foreground: "#d6dde6",
  cursor: "#58a6ff",
  cursorAccent: "#11151c",
  selectionBackground: "#264f78",
  black: "#484f58",
  red: "#ff7b72",
  green: "#3fb950",
  yellow: "#d29922",
  blue: "#58a6ff",
  magenta: "#bc8cff",
  cyan: "#39c5cf",
  white: "#b1bac4",
  brightBlack: "#6e7681",
  brightRed: "#ffa198",
  brightGreen: "#56d364",
  brightYellow: "#e3b341",
  brightBlue: "#79c0ff",
  brightMagenta: "#d2a8ff",
  brightCyan: "#56d4dd",
  brightWhite: "#f0f6fc",
};

const encoder = new TextEncoder();

/** One xterm wired to one learner port of the guest. */
export class TerminalSession {
  readonly port: LearnerPort;
  readonly terminal: Terminal;
  rows = $state(0);
  cols = $state(0);
  /** Set when the clipboard refused; the component shows it briefly. */
  notice = $state<string | undefined>(undefined);

  #link: TerminalLink;
  #fit = new FitAddon();
  #disposables: { dispose(): void }[] = [];
  #unsubscribe: () => void;
  #observer: ResizeObserver | undefined;
  #resizeTimer: ReturnType<typeof setTimeout> | undefined;
  #onZoom: (step: number) => void;

  constructor(
    port: LearnerPort,
    link: TerminalLink,
    options: {
      fontSize: number;
      dark: boolean;
      screenReader: boolean;
      onZoom: (step: number) => void;
    },
  ) {
    this.port = port;
    this.#link = link;
    this.#onZoom = options.onZoom;
    this.terminal = new Terminal({
      fontSize: options.fontSize,
      fontFamily:
        '"JetBrains Mono", "Cascadia Mono", "DejaVu Sans Mono", "D2Coding", "Noto Sans Mono CJK KR", Menlo, Consolas, monospace',
      scrollback: 5000,
      cursorBlink: true,
      convertEol: false,
      allowProposedApi: false,
      screenReaderMode: options.screenReader,
      theme: options.dark ? darkTheme : lightTheme,
      macOptionIsMeta: true,
      rightClickSelectsWord: false,
    });
    this.terminal.loadAddon(this.#fit);
    this.terminal.loadAddon(
      new WebLinksAddon((event, uri) => {
        event.preventDefault();
        globalThis.open?.(uri, "_blank", "noopener,noreferrer");
      }),
    );
    this.terminal.attachCustomKeyEventHandler((event) => this.#key(event));
    this.#disposables.push(
      this.terminal.onData((data) => this.#link.write(this.port, encoder.encode(data))),
      this.terminal.onBinary((data) =>
        this.#link.write(
          this.port,
          Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff),
        ),
      ),
      this.terminal.onResize(({ rows, cols }) => {
        this.rows = rows;
        this.cols = cols;
        this.#scheduleResize();
      }),
    );
    this.#unsubscribe = link.onOutput(port, (data) => this.terminal.write(data));
  }

  /** Opens the terminal in its element and keeps it fitted to it. */
  attach(element: HTMLElement): void {
    this.terminal.open(element);
    this.fit();
    this.#observer = new ResizeObserver(() => this.fit());
    this.#observer.observe(element);
  }

  /** Fits rows and columns to the element; a hidden tab has no size and is skipped. */
  fit(): void {
    const element = this.terminal.element?.parentElement;
    if (!element || element.clientWidth === 0 || element.clientHeight === 0) return;
    this.#fit.fit();
    this.rows = this.terminal.rows;
    this.cols = this.terminal.cols;
  }

  /**
   * Tells the guest the current size, e.g. once the machine is ready. `redraw`: change it for a
   * moment first, so the shell gets SIGWINCH and draws its prompt even when the size is what the
   * guest already had (a resumed or restored machine: this page's terminal starts empty).
   */
  async sendSize({ redraw = false } = {}): Promise<void> {
    const { rows, cols } = this.terminal;
    if (redraw) await this.#link.resize(this.port, rows, Math.max(2, cols - 1));
    await this.#link.resize(this.port, rows, cols);
  }

  focus(): void {
    this.terminal.focus();
  }

  setFontSize(size: number): void {
    if (this.terminal.options.fontSize === size) return;
    this.terminal.options.fontSize = size;
    this.fit();
  }

  setDark(dark: boolean): void {
    this.terminal.options.theme = dark ? darkTheme : lightTheme;
  }

  setScreenReader(on: boolean): void {
    this.terminal.options.screenReaderMode = on;
  }

  async copy(): Promise<void> {
    const text = this.terminal.getSelection();
    if (!text) return;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // execCommand still works where the async clipboard is refused (no permission, http).
      document.execCommand("copy");
    }
  }

  /** Pastes from the clipboard (context menu); keyboard paste goes through the paste event. */
  async paste(blockedMessage: string): Promise<void> {
    try {
      const text = await navigator.clipboard.readText();
      if (text) this.terminal.paste(text);
    } catch {
      this.notice = blockedMessage;
    }
    this.focus();
  }

  selectAll(): void {
    this.terminal.selectAll();
  }

  clear(): void {
    this.terminal.clear();
  }

  /** The visible screen as text, for tests and the accessibility check. */
  screenText(): string {
    const buffer = this.terminal.buffer.active;
    const lines: string[] = [];
    for (let row = 0; row < buffer.length; row++)
      lines.push(buffer.getLine(row)?.translateToString(true) ?? "");
    return lines.join("\n");
  }

  #key(event: KeyboardEvent): boolean {
    const action = keyAction(event, this.terminal.hasSelection());
    switch (action) {
      case "copy":
        event.preventDefault();
        void this.copy().then(() => this.terminal.clearSelection());
        return false;
      case "paste":
        // Let the browser fire its paste event into xterm's textarea.
        return false;
      case "zoom-in":
      case "zoom-out":
      case "zoom-reset":
        event.preventDefault();
        if (event.type === "keydown")
          this.#onZoom(action === "zoom-in" ? 1 : action === "zoom-out" ? -1 : 0);
        return false;
      case "guest": {
        // Ctrl+P would open the print dialog; the guest needs it for Docker's detach keys.
        const key = event.key.toLowerCase();
        if ((event.ctrlKey || event.metaKey) && (key === "p" || key === "q" || key === "s"))
          event.preventDefault();
        return true;
      }
    }
  }

  #scheduleResize(): void {
    clearTimeout(this.#resizeTimer);
    this.#resizeTimer = setTimeout(() => void this.sendSize().catch(() => {}), 120);
  }

  dispose(): void {
    clearTimeout(this.#resizeTimer);
    this.#observer?.disconnect();
    this.#unsubscribe();
    for (const disposable of this.#disposables) disposable.dispose();
    this.terminal.dispose();
  }
}
