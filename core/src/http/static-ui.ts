// Serves the built portal (ui/dist) at `/` with an SPA fallback, without ever answering for the API.
import { statSync } from "node:fs"
import { extname, join, normalize, resolve, sep } from "node:path"
import { Elysia } from "elysia"
import { AppError, NotFound } from "./errors.ts"

export const DEFAULT_UI_DIR = resolve(import.meta.dir, "../../../ui/dist")

/** Vite puts content-hashed files here: their name changes whenever their bytes do. */
const HASHED_PREFIX = "/assets/"
const IMMUTABLE = "public, max-age=31536000, immutable"
/** index.html names the current hashed files, so the browser must revalidate it every time. */
const REVALIDATE = "no-cache"

/** Paths the portal never answers: an unknown API route stays a 404 problem, not index.html. */
const isReserved = (path: string) => path === "/api" || path.startsWith("/api/") || path === "/healthz" || path === "/readyz"

const isFile = (path: string) => {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

class UiNotBuilt extends AppError {
  readonly code = "UI_NOT_BUILT"
  readonly status = 503
  readonly title = "Portal not built"
}

const notBuiltPage = (dir: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>StreamSpace — portal not built</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}
code{background:#eee;padding:.1rem .3rem;border-radius:3px}</style></head>
<body><h1>The portal is not built</h1>
<p>The control plane is running and its API answers under <code>/api/v1</code>, but there is no portal to show:
<code>${dir}</code> has no <code>index.html</code>.</p>
<p>Build it with <code>bun run build:ui</code> from the repository root, then reload this page.</p></body></html>`

/** A request path mapped into `dir`, or null when it would step outside it. */
function fileFor(dir: string, pathname: string): string | null {
  let decoded: string
  try {
    decoded = decodeURIComponent(pathname)
  } catch {
    return null
  }
  if (decoded.includes("\0")) return null
  const full = normalize(join(dir, decoded))
  return full === dir || full.startsWith(dir + sep) ? full : null
}

export interface StaticUiOptions {
  /** Folder holding the built portal; defaults to the repository's ui/dist. */
  dir?: string
}

export const staticUi = (options: StaticUiOptions = {}) => {
  const dir = resolve(options.dir ?? DEFAULT_UI_DIR)
  const index = join(dir, "index.html")

  const serve = (path: string, cacheControl: string) =>
    new Response(Bun.file(path), { headers: { "cache-control": cacheControl } })

  return new Elysia({ name: "static-ui" }).get(
    "/*",
    ({ request, path }) => {
      if (isReserved(path)) throw new NotFound("The requested route")
      if (!isFile(index)) {
        if ((request.headers.get("accept") ?? "").includes("text/html"))
          return new Response(notBuiltPage(dir), {
            status: 503,
            headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "retry-after": "30" },
          })
        throw new UiNotBuilt(`The portal is not built: ${dir} has no index.html. Run \`bun run build:ui\` and reload.`)
      }
      const file = fileFor(dir, path)
      if (file && isFile(file))
        return serve(file, path.startsWith(HASHED_PREFIX) ? IMMUTABLE : file === index ? REVALIDATE : "public, max-age=3600")
      // A missing file with an extension is a real 404: answering index.html for /assets/old.js
      // would hand a browser HTML where it expects a script after a redeploy.
      if (extname(path) !== "") throw new NotFound(`The file ${path}`)
      return serve(index, REVALIDATE)
    },
    { detail: { hide: true } },
  )
}
