
// ---- added by www/scripts/build.mjs: the crash guard (see src/instance.js) ----
// Once a call traps (a WebAssembly.RuntimeError: memory access out of bounds, unreachable),
// the instance's state (its stack pointer, borrowed cells) is gone for good. From then on
// calls into it throw one clear error instead, and callbacks still scheduled by it (timers,
// promise continuations, finalizers) do nothing, rather than trapping again as uncaught
// exceptions.
let __sextantCrash = null;

function __sextantCrashError() {
  const cause = __sextantCrash;
  const err = new Error(
    `Sextant's WebAssembly instance crashed (${cause}) and cannot be used again: trackers ` +
      "opened before the crash have stopped, and what they had not flushed is lost. " +
      "ExperimentTracker.open() starts a fresh instance.",
    { cause },
  );
  err.code = "CRASHED";
  return err;
}

const __sextantQuiet = [0, 0];

function __sextantGuardOne(name, f) {
  const quiet = name.includes("closures") || name.endsWith("_free") || name === "__wbindgen_destroy_closure";
  const dead = () => {
    if (quiet) return __sextantQuiet;
    throw __sextantCrashError();
  };
  const failed = (e) => {
    if (e instanceof WebAssembly.RuntimeError) {
      __sextantCrash = e;
      throw __sextantCrashError();
    }
    throw e;
  };
  // Fixed arity up to 6 (the hot logging calls): no rest/spread per call.
  if (f.length <= 6) {
    return function guarded(a, b, c, d, e, g) {
      if (__sextantCrash !== null) return dead();
      try {
        return f(a, b, c, d, e, g);
      } catch (err) {
        return failed(err);
      }
    };
  }
  return function guarded(...args) {
    if (__sextantCrash !== null) return dead();
    try {
      return f(...args);
    } catch (err) {
      return failed(err);
    }
  };
}

function __sextantGuard(exports) {
  const guarded = {};
  for (const [name, value] of Object.entries(exports)) {
    guarded[name] = typeof value === "function" ? __sextantGuardOne(name, value) : value;
  }
  return guarded;
}

/** The RuntimeError this instance crashed with, or null. */
export function __sextantCrashed() {
  return __sextantCrash;
}
