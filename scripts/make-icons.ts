// Renders public/favicon.svg to the PNG icons the web app manifest names (browsers want PNGs at
// 192 and 512 px to offer "Install"). Run after changing the favicon: `npx tsx scripts/make-icons.ts`.
// Uses Debian's Chromium through playwright-core, like the end-to-end tests.
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const root = path.resolve(import.meta.dirname, "..");
const svg = fs.readFileSync(path.join(root, "public/favicon.svg"), "utf8");

// `maskable` icons are cropped to a circle by some launchers: the glyph keeps to the middle 60%.
const icons = [
  { file: "icon-192.png", size: 192, inset: 0.08, background: "transparent" },
  { file: "icon-512.png", size: 512, inset: 0.08, background: "transparent" },
  { file: "icon-maskable-512.png", size: 512, inset: 0.2, background: "#ffffff" },
];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--headless"],
});
try {
  for (const icon of icons) {
    const page = await browser.newPage({ viewport: { width: icon.size, height: icon.size } });
    const pad = Math.round(icon.size * icon.inset);
    await page.setContent(
      `<html><body style="margin:0;background:${icon.background}">` +
        `<div style="box-sizing:border-box;width:${icon.size}px;height:${icon.size}px;padding:${pad}px">` +
        svg.replace("<svg ", '<svg width="100%" height="100%" ') +
        "</div></body></html>",
    );
    await page.screenshot({
      path: path.join(root, "public", icon.file),
      omitBackground: icon.background === "transparent",
    });
    await page.close();
    console.log(`public/${icon.file}`);
  }
} finally {
  await browser.close();
}
