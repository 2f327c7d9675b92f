// Which wasm instance new trackers use. The glue is guarded (scripts/guard.js): once an
// instance crashes, its trackers throw an error with code "CRASHED", and the next
// `ExperimentTracker.open` loads the glue module again under a new URL — a separate module,
// so nothing of the dead instance (its timers, callbacks, finalizers) can reach the new one —
// and opens the tracker there.

/**
 * Makes `first.ExperimentTracker` (the class the package exports) open trackers on a live
 * instance. `setup(glue)` initialises a glue module and installs the JS parts on its class;
 * `reload(n)` imports a fresh copy of the glue module; `opened(tracker)` sees every tracker
 * opened.
 */
export function manageInstances(first, setup, reload, opened = () => {}) {
  const Exported = first.ExperimentTracker;
  const classes = [Exported];
  const openOn = new Map();
  let current = first;
  let generation = 0;
  // The generated `open`, before `start` replaces it.
  openOn.set(first, Exported.open);

  async function prepare(glue) {
    openOn.set(glue, glue.ExperimentTracker.open);
    await setup(glue);
  }

  async function live() {
    if (current.__sextantCrashed() === null) return current;
    let glue;
    try {
      glue = await reload(++generation);
    } catch (e) {
      const err = new Error(
        "Sextant's WebAssembly instance crashed, and a fresh copy of its module could not be " +
          `loaded here (${e?.message ?? e}): reload the page or restart the process.`,
        { cause: current.__sextantCrashed() },
      );
      err.code = "CRASHED";
      throw err;
    }
    await prepare(glue);
    classes.push(glue.ExperimentTracker);
    current = glue;
    return glue;
  }

  return {
    /** Initialises the first instance (sync in Node, async in browsers). */
    start() {
      const ready = setup(first);
      Exported.open = async function open(connection) {
        await ready;
        const glue = await live();
        const tracker = await openOn.get(glue).call(glue.ExperimentTracker, connection);
        opened(tracker);
        return tracker;
      };
      // Trackers from a replacement instance are instances of its own class.
      Object.defineProperty(Exported, Symbol.hasInstance, {
        value: (obj) => classes.some((c) => Function.prototype[Symbol.hasInstance].call(c, obj)),
      });
      return ready;
    },
  };
}
