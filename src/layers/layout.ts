// Geometry of the Layers panel's SVG: one column per image, blocks stacked bottom-up from a
// common baseline. A block's height depends only on its layer's size, so layers shared by two
// images sit at the same height in both columns and line up without extra work.
import type { ImageStack, Layer, LayerPicture, WritableLayer } from "./model.ts";

export interface LayoutOptions {
  columnWidth: number;
  gap: number;
  /** Height of an empty layer. */
  minBlock: number;
  /** Extra pixels per factor of ten in size above 1 KB. */
  perDecade: number;
  /** Changed files listed inside a writable layer before "+N more". */
  filesShown: number;
  /** Room under the baseline for the image's name. */
  footer: number;
  padding: number;
}

export const defaultLayout: LayoutOptions = {
  columnWidth: 220,
  gap: 28,
  minBlock: 34,
  perDecade: 9,
  filesShown: 3,
  footer: 40,
  padding: 12,
};

export interface LayerBlock {
  kind: "layer";
  /** Unique per drawn block: the same layer is drawn once per image that has it. */
  id: string;
  layer: Layer;
  stack: ImageStack;
  /** Position in its stack, 0 = bottom. */
  index: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WritableBlock {
  kind: "writable";
  id: string;
  container: WritableLayer;
  stack: ImageStack;
  x: number;
  y: number;
  width: number;
  height: number;
}

export type Block = LayerBlock | WritableBlock;

export interface Column {
  stack: ImageStack;
  x: number;
  width: number;
  /** Blocks bottom-up, then the writable layers left to right. */
  blocks: Block[];
}

export interface Layout {
  width: number;
  height: number;
  /** y of the baseline every stack stands on. */
  baseline: number;
  columns: Column[];
}

export function blockHeight(size: number, o: LayoutOptions = defaultLayout): number {
  const kb = size / 1024;
  return Math.round(o.minBlock + (kb > 1 ? o.perDecade * Math.log10(kb) : 0));
}

export function writableHeight(container: WritableLayer, o: LayoutOptions = defaultLayout): number {
  const lines = Math.min(container.changes.length, o.filesShown + 1);
  return 34 + lines * 14;
}

export function layoutPicture(picture: LayerPicture, o: LayoutOptions = defaultLayout): Layout {
  // Heights first, to find the tallest stack; then place everything from the baseline up.
  const tallest = picture.stacks.reduce((max, stack) => {
    const layers = stack.layers.reduce((sum, l) => sum + blockHeight(l.size, o), 0);
    const writable = stack.containers.reduce((m, c) => Math.max(m, writableHeight(c, o)), 0);
    return Math.max(max, layers + (writable ? writable + 6 : 0));
  }, 0);
  const baseline = o.padding + tallest;
  const columns: Column[] = picture.stacks.map((stack, i) => {
    const x = o.padding + i * (o.columnWidth + o.gap);
    const blocks: Block[] = [];
    let y = baseline;
    stack.layers.forEach((layer, index) => {
      const height = blockHeight(layer.size, o);
      y -= height;
      blocks.push({
        kind: "layer",
        id: `${stack.id}/${index}`,
        layer,
        stack,
        index,
        x,
        y,
        width: o.columnWidth,
        height,
      });
    });
    const n = stack.containers.length;
    if (n > 0) {
      // Each container has its own writable layer on the same image: side by side on top.
      const w = (o.columnWidth - (n - 1) * 4) / n;
      stack.containers.forEach((container, k) => {
        const height = writableHeight(container, o);
        blocks.push({
          kind: "writable",
          id: `${stack.id}/c/${container.id}`,
          container,
          stack,
          x: x + k * (w + 4),
          y: y - 6 - height,
          width: w,
          height,
        });
      });
    }
    return { stack, x, width: o.columnWidth, blocks };
  });
  const width = Math.max(
    o.padding * 2 + picture.stacks.length * (o.columnWidth + o.gap) - o.gap,
    o.columnWidth,
  );
  return { width, height: baseline + o.footer, baseline, columns };
}

/** Text that fits `width` pixels at roughly `charPx` per character. */
export function fit(text: string, width: number, charPx = 6.6): string {
  const max = Math.max(3, Math.floor(width / charPx));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB"];
  let v = bytes;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}
