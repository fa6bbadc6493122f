// CodeMirror 6 for the workspace editor, loaded only when the Files tab opens (it is ~400 KB the
// terminal never needs). The language follows the file name.
import { basicSetup } from "codemirror";
import { EditorView, keymap } from "@codemirror/view";
import { EditorState, type Extension } from "@codemirror/state";
import { StreamLanguage } from "@codemirror/language";
import { html } from "@codemirror/lang-html";
import { css } from "@codemirror/lang-css";
import { javascript } from "@codemirror/lang-javascript";
import { yaml } from "@codemirror/lang-yaml";
import { dockerFile } from "@codemirror/legacy-modes/mode/dockerfile";
import { shell } from "@codemirror/legacy-modes/mode/shell";

/** The mode for a file: Dockerfile, HTML, CSS, JS, shell, YAML; plain text otherwise. */
export function languageFor(path: string): Extension {
  const name = path.split("/").pop()?.toLowerCase() ?? "";
  if (name === "dockerfile" || name.startsWith("dockerfile.") || name.endsWith(".dockerfile"))
    return StreamLanguage.define(dockerFile);
  if (/\.(html?|svg)$/.test(name)) return html();
  if (name.endsWith(".css")) return css();
  if (/\.(m?js|cjs|json)$/.test(name)) return javascript();
  if (/\.(ts|tsx)$/.test(name)) return javascript({ typescript: true });
  if (/\.ya?ml$/.test(name)) return yaml();
  if (/\.(sh|bash)$/.test(name) || name === ".bashrc" || name === ".profile")
    return StreamLanguage.define(shell);
  return [];
}

export interface CodeEditor {
  /** Shows another file (its own undo history). */
  show(path: string, text: string): void;
  text(): string;
  focus(): void;
  destroy(): void;
}

export function createEditor(
  parent: HTMLElement,
  opts: { label: string; onSave: () => void; onChange: () => void },
): CodeEditor {
  const extensions = (path: string) => [
    basicSetup,
    languageFor(path),
    keymap.of([
      {
        key: "Mod-s",
        preventDefault: true,
        run: () => {
          opts.onSave();
          return true;
        },
      },
    ]),
    EditorView.updateListener.of((update) => {
      if (update.docChanged) opts.onChange();
    }),
    EditorView.contentAttributes.of({ "aria-label": opts.label }),
  ];
  const view = new EditorView({
    parent,
    state: EditorState.create({ doc: "", extensions: extensions("") }),
  });
  return {
    show(path, text) {
      view.setState(EditorState.create({ doc: text, extensions: extensions(path) }));
    },
    text: () => view.state.doc.toString(),
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}
