// File access for `file://PATH` stores in Node: the wasm core has no filesystem, so the
// Node entry hands it these two synchronous calls.

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";

function openForAppend(path) {
  try {
    return openSync(path, "a");
  } catch (e) {
    if (e.code !== "ENOENT") throw e;
    mkdirSync(dirname(path), { recursive: true });
    return openSync(path, "a");
  }
}

export const fileHost = {
  /** The whole file, or null when there is none. */
  read(path) {
    try {
      return readFileSync(path);
    } catch (e) {
      if (e.code === "ENOENT") return null;
      throw e;
    }
  },

  /** Appends and syncs to disk before returning (a flush is durable when it resolves). */
  append(path, data) {
    const fd = openForAppend(path);
    try {
      let written = 0;
      while (written < data.length) written += writeSync(fd, data, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  },
};
