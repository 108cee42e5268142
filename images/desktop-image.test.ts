// The desktop image helper against the real build script and Docker engine.
import { expect, test } from "bun:test"
import { DesktopImageBuildFailed, ensureDesktopImage } from "./desktop-image.ts"

test("the image is built once per recipe and found by its content hash afterwards", async () => {
  const first = await ensureDesktopImage()
  expect(first.image).toMatch(/^streamspace\/desktop:[0-9a-f]{12}$/)

  const progress: string[] = []
  const again = await ensureDesktopImage({ onProgress: (line) => progress.push(line) })
  expect(again).toEqual({ image: first.image, built: false })
  expect(progress.at(-1)).toBe(`[desktop-image] ready ${first.image} (cached)`)

  const inspect = Bun.spawnSync([
    "docker",
    "image",
    "inspect",
    "--format",
    "{{.Config.User}} {{json .Config.ExposedPorts}}",
    first.image,
  ])
  expect(inspect.stdout.toString().trim()).toBe('1000 {"5900/tcp":{}}')
}, 600_000)

test("a build that cannot run says why", async () => {
  const failure = ensureDesktopImage({ cacheDir: "/proc/streamspace-cannot-exist" })
  await expect(failure).rejects.toBeInstanceOf(DesktopImageBuildFailed)
  await expect(failure).rejects.toThrow(/desktop image could not be built: .*exit code/)
})
