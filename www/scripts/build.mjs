// Builds the package's wasm: `npm --prefix www run build`.
//
// 1. cargo builds crates/sextant-web (the tracker) and crates/sextant-snapshot-wasm (luml
//    snapshots, SQLite inside: loaded only on export/import) for wasm32 in the
//    `wasm-release` profile (size-optimised, LTO), then sextant-web again with its
//    `node-sqlite` feature: the Node build (pkg-node/), with the SQLite store inside, which
//    only src/node.js loads, so the browser's module does not grow.
// 2. The wasm-bindgen CLI already on PATH writes ES-module glue (`--target web`) into pkg/
//    and pkg-snapshot/. Nothing is downloaded; its version must equal the crate's pin.
// 3. wasm-opt from the binaryen npm package (a devDependency) shrinks the result, when
//    installed.
//
// CARGO_TARGET_DIR is honoured; the default is the workspace's target/.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const WASM_BINDGEN_VERSION = "0.2.130";
const here = dirname(fileURLToPath(import.meta.url));
const www = resolve(here, "..");
const root = resolve(www, "..");
const targetDir = process.env.CARGO_TARGET_DIR
  ? resolve(process.env.CARGO_TARGET_DIR)
  : join(root, "target");
const profile = "wasm-release";
const modules = [
  { crate: "sextant-web", file: "sextant_web", out: "pkg", guard: true },
  { crate: "sextant-snapshot-wasm", file: "sextant_snapshot_wasm", out: "pkg-snapshot" },
  // Built last: it overwrites target/…/sextant_web.wasm, which pkg/ is made from first.
  {
    crate: "sextant-web",
    features: "node-sqlite",
    file: "sextant_web",
    out: "pkg-node",
    guard: true,
    // Node loads it from disk: speed over bytes.
    opt: "-O2",
  },
];

function run(cmd, args, options = {}) {
  console.log(`$ ${cmd} ${args.join(" ")}`);
  execFileSync(cmd, args, { stdio: "inherit", cwd: root, ...options });
}

function wasmBindgenVersion() {
  try {
    return execFileSync("wasm-bindgen", ["--version"], { encoding: "utf8" }).trim().split(/\s+/)[1];
  } catch {
    return null;
  }
}

/**
 * Routes every call into the tracker's wasm through the crash guard (scripts/guard.js):
 * one line of the generated glue changes, and the build fails if that line is not there
 * (a different wasm-bindgen) rather than shipping a package without the guard.
 */
function guardGlue(glue) {
  const line = "    wasm = instance.exports;\n";
  const text = readFileSync(glue, "utf8");
  if (text.split(line).length !== 2) {
    console.error(`${glue}: expected exactly one \`${line.trim()}\` to guard`);
    process.exit(1);
  }
  const guard = readFileSync(join(here, "guard.js"), "utf8");
  writeFileSync(glue, text.replace(line, "    wasm = __sextantGuard(instance.exports);\n") + guard);
}

const found = wasmBindgenVersion();
if (found !== WASM_BINDGEN_VERSION) {
  console.error(
    `wasm-bindgen ${WASM_BINDGEN_VERSION} is needed on PATH (found ${found ?? "none"}): ` +
      `cargo install wasm-bindgen-cli --version ${WASM_BINDGEN_VERSION}`,
  );
  process.exit(1);
}

const wasmOpt = join(www, "node_modules", ".bin", "wasm-opt");
for (const m of modules) {
  run("cargo", [
    "build",
    "--profile",
    profile,
    "--target",
    "wasm32-unknown-unknown",
    "-p",
    m.crate,
    ...(m.features ? ["--features", m.features] : []),
  ]);
  const input = join(targetDir, "wasm32-unknown-unknown", profile, `${m.file}.wasm`);
  const out = join(www, m.out);
  rmSync(out, { recursive: true, force: true });
  run("wasm-bindgen", ["--target", "web", "--no-typescript", "--out-dir", out, input]);
  if (m.guard) guardGlue(join(out, `${m.file}.js`));
  const wasm = join(out, `${m.file}_bg.wasm`);
  if (existsSync(wasmOpt)) {
    // The features Rust's wasm32 target enables by default, which the glue relies on.
    run(wasmOpt, [
      m.opt ?? "-Oz",
      "--enable-bulk-memory",
      "--enable-nontrapping-float-to-int",
      "--enable-sign-ext",
      "--enable-mutable-globals",
      "--enable-multivalue",
      "--enable-reference-types",
      wasm,
      "-o",
      wasm,
    ]);
  } else {
    console.log("wasm-opt not installed (npm install in www/): skipping size optimisation");
  }
  const bytes = readFileSync(wasm);
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  console.log(
    `${m.out}/${m.file}_bg.wasm: ${kb(statSync(wasm).size)}, ${kb(gzipSync(bytes, { level: 9 }).length)} gzip`,
  );
}
