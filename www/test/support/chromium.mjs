// Headless Chromium through playwright-core: the system browser (/usr/bin/chromium), the
// flags that work on this kind of machine, and a fresh profile every launch.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), "sextant-chromium-"));
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** The page the browser tests load: the installed package mapped to its name. */
export const PAGE = `<!doctype html>
<meta charset="utf-8">
<script type="importmap">
{ "imports": { "@sextant/tracker": "/node_modules/@sextant/tracker/src/browser.js" } }
</script>
<script type="module">
  window.sextant = await import("@sextant/tracker");
  document.title = "ready";
</script>
`;
