// Serves www/ for the browser example: node www/examples/serve.mjs
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "../test/support/server.mjs";

const { url } = await serve(resolve(dirname(fileURLToPath(import.meta.url)), ".."));
console.log(`open ${url}/examples/browser/index.html`);
