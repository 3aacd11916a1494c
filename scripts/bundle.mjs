// Bundles the compiled CLI (dist/cli/index.js, written by tsc) into dist/bundle/ (run by
// `npm run build`): one file per command, loaded when that command runs, and shared chunks. A
// process then reads a few files instead of resolving and loading several hundred modules (BullMQ,
// ioredis, zod, …) one by one, which halves the start of every `dialogue` process — the manager
// and the workers `dialogue run` starts, and every `dialogue list`.
//
// Bundled and unbundled code are the same JavaScript: tsc compiles, this only joins the files.
// Kept out: node-llama-cpp (native binaries found relative to its own files) and Ink's optional
// React devtools. Entry and chunks sit side by side in dist/bundle/, at the same depth as dist/cli/,
// so paths built from import.meta.url (the package root, bin/dialogue.js) stay right.
import { rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { rolldown } from "rolldown";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const out = path.join(root, "dist", "bundle");

rmSync(out, { recursive: true, force: true });
const bundle = await rolldown({
  input: { index: path.join(root, "dist", "cli", "index.js") },
  platform: "node",
  external: [/^node-llama-cpp(\/|$)/, /^react-devtools-core(\/|$)/],
  logLevel: "warn",
});
try {
  await bundle.write({ dir: out, format: "esm", entryFileNames: "[name].js", chunkFileNames: "[name]-[hash].js" });
} finally {
  await bundle.close();
}

// The web pages' scripts (`dialogue serve`, src/server/client/): one small file per page, for
// the browser, served from dist/public/ (the pages allow no inline script).
const pub = path.join(root, "dist", "public");
rmSync(pub, { recursive: true, force: true });
for (const name of ["live", "list"]) {
  const client = await rolldown({ input: path.join(root, "src", "server", "client", `${name}.ts`), platform: "browser", logLevel: "warn", tsconfig: path.join(root, "tsconfig.client.json") });
  try {
    await client.write({ file: path.join(pub, `${name}.js`), format: "iife", minify: true });
  } finally {
    await client.close();
  }
}
