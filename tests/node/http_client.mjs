// A Node trainer logging to a `sextant serve` server through its JSON write endpoint:
// the same batches of records the http:// store sends. Used by the many-clients test.
// usage: node http_client.mjs BASE_URL EXPERIMENT_ID POINTS BATCH   (SEXTANT_TOKEN: bearer token)
import { randomUUID } from "node:crypto";

const [base, id = randomUUID(), pointsArg = "20000", batchArg = "2000"] = process.argv.slice(2);
const points = Number(pointsArg);
const batch = Number(batchArg);

async function post(records) {
  const res = await fetch(`${base}/api/batch`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(process.env.SEXTANT_TOKEN ? { authorization: `Bearer ${process.env.SEXTANT_TOKEN}` } : {}),
    },
    body: JSON.stringify({ records }),
  });
  if (res.status !== 204) {
    throw new Error(`batch rejected: ${res.status} ${await res.text()}`);
  }
}

await post([{ op: "create", id, name: `node-${id.slice(0, 8)}`, group: "clients", tags: ["node"], created_at: Date.now(), description: null, source: "http_client.mjs" }]);
for (let start = 0; start < points; start += batch) {
  const pts = [];
  for (let step = start; step < Math.min(points, start + batch); step++) {
    pts.push({ step, value: step * 0.5, logged_at: Date.now() });
  }
  await post([{ op: "metrics", experiment: id, key: "loss", points: pts }]);
}
await post([{ op: "set_status", experiment: id, status: "completed", duration: 1.0 }]);
console.log(id);
