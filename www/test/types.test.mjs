// The shipped TypeScript types, checked with `tsc --noEmit` from a project that installed
// the packed package: correct usage compiles, misuse does not (so nothing is `any`).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";

import { installPackage, www } from "./support/package.mjs";

const tsc = join(www, "node_modules", "typescript", "bin", "tsc");
let project;

before(() => {
  ({ project } = installPackage());
  for (const f of ["sample.ts", "misuse.ts", "otel.ts"]) {
    copyFileSync(join(www, "test", "types", f), join(project, f));
  }
});

function compile(file, moduleResolution, paths) {
  const config = {
    compilerOptions: {
      strict: true,
      noEmit: true,
      target: "es2022",
      lib: ["es2022", "dom"],
      module: moduleResolution === "bundler" ? "esnext" : "nodenext",
      moduleResolution,
      noUncheckedIndexedAccess: true,
      skipLibCheck: false,
      ...(paths ? { paths } : {}),
    },
    files: [file],
  };
  writeFileSync(join(project, "tsconfig.json"), JSON.stringify(config));
  try {
    execFileSync(process.execPath, [tsc, "-p", project], { encoding: "utf8" });
    return "";
  } catch (e) {
    return e.stdout || String(e);
  }
}

for (const resolution of ["nodenext", "bundler"]) {
  test(`correct usage type-checks (${resolution} resolution)`, () => {
    assert.equal(compile("sample.ts", resolution), "");
  });
}

test("misuse is a type error, call by call", () => {
  const out = compile("misuse.ts", "nodenext");
  for (const line of [5, 6, 7, 8, 9, 10, 11, 12]) {
    assert.match(out, new RegExp(`misuse\\.ts\\(${line},`), `line ${line} accepted:\n${out}`);
  }
});

test("the exporter is an OpenTelemetry SDK SpanExporter (real SDK 2.x types)", () => {
  // The dev-dependency OpenTelemetry packages, mapped into the user project.
  const otel = join(www, "node_modules", "@opentelemetry");
  const paths = {
    "@opentelemetry/*": [`${otel}/*`],
  };
  assert.equal(compile("otel.ts", "bundler", paths), "");
});
