// Packs @sextant/tracker with `npm pack` and installs the tarball into a fresh project, so
// tests use the package exactly as a user would (its `exports`, its shipped files).

import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const www = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function npm(args, cwd) {
  return execFileSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd,
    encoding: "utf8",
  });
}

/** Packs and installs; returns the project directory and the tarball's file list. */
export function installPackage() {
  const project = mkdtempSync(join(tmpdir(), "sextant-user-"));
  const packed = JSON.parse(npm(["pack", "--json", "--pack-destination", project], www));
  const tarball = join(project, packed[0].filename);
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "sextant-user", private: true, type: "module" }),
  );
  npm(["install", tarball], project);
  // Re-exported from inside the project, so Node resolves the package by its name.
  writeFileSync(join(project, "entry.mjs"), 'export * from "@sextant/tracker";\n');
  return { project, tarball, files: packed[0].files.map((f) => f.path) };
}

/** The package as `import ... from "@sextant/tracker"` sees it from `project`. */
export function importPackage(project) {
  return import(pathToFileURL(join(project, "entry.mjs")).href);
}

/** The installed package's directory. */
export function packageDir(project) {
  return join(project, "node_modules", "@sextant", "tracker");
}

export function listDir(dir) {
  return readdirSync(dir);
}
