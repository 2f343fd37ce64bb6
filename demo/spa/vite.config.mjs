// Built by `make setup` (vite build demo/spa); the demo serves dist/ at /spa.
// JSX goes through Vite's own esbuild: no React plugin is needed.
import { fileURLToPath } from "node:url";

import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/spa/",
  esbuild: { jsx: "automatic" },
  build: { outDir: "dist", emptyOutDir: true },
  // `vite demo/spa` during development: the socket goes to `python -m demo` on port 8000.
  server: { proxy: { "/socket": { target: "ws://127.0.0.1:8000", ws: true } } },
});
