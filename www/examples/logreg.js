// Logistic regression in plain JS, trained by gradient descent on generated data: the
// "model" both examples track. No dependencies, runs in Node and browsers.

/** A deterministic generator, so runs are comparable. */
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Two Gaussian blobs in `dims` dimensions, labelled 0 and 1. */
export function makeData({ samples = 2000, dims = 4, seed = 7 } = {}) {
  const rand = random(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const xs = [];
  const ys = [];
  for (let i = 0; i < samples; i++) {
    const y = i % 2;
    xs.push(Array.from({ length: dims }, (_, d) => gauss() + (y ? 1 : -1) * (d % 2 ? 0.8 : 0.5)));
    ys.push(y);
  }
  return { xs, ys };
}

const sigmoid = (z) => 1 / (1 + Math.exp(-z));

/**
 * Trains for `epochs`, calling `onEpoch({ epoch, loss, accuracy, weights })` after each,
 * with mini-batch gradient descent.
 */
export function train({ xs, ys }, { epochs = 30, lr = 0.1, batchSize = 64 } = {}, onEpoch) {
  const dims = xs[0].length;
  const w = new Float64Array(dims);
  let b = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let start = 0; start < xs.length; start += batchSize) {
      const gw = new Float64Array(dims);
      let gb = 0;
      const end = Math.min(start + batchSize, xs.length);
      for (let i = start; i < end; i++) {
        let z = b;
        for (let d = 0; d < dims; d++) z += w[d] * xs[i][d];
        const err = sigmoid(z) - ys[i];
        for (let d = 0; d < dims; d++) gw[d] += err * xs[i][d];
        gb += err;
      }
      for (let d = 0; d < dims; d++) w[d] -= (lr * gw[d]) / (end - start);
      b -= (lr * gb) / (end - start);
    }
    let loss = 0;
    let correct = 0;
    for (let i = 0; i < xs.length; i++) {
      let z = b;
      for (let d = 0; d < dims; d++) z += w[d] * xs[i][d];
      const p = Math.min(Math.max(sigmoid(z), 1e-12), 1 - 1e-12);
      loss -= ys[i] ? Math.log(p) : Math.log(1 - p);
      correct += (p >= 0.5) === (ys[i] === 1) ? 1 : 0;
    }
    onEpoch({ epoch, loss: loss / xs.length, accuracy: correct / xs.length, weights: [...w, b] });
  }
  return { weights: [...w], bias: b };
}
