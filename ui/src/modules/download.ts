// Hands a file made in the browser to the user as a download.
export function saveBlob(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob)
  const link = document.createElement("a")
  link.href = url
  link.download = filename
  document.body.append(link)
  link.click()
  link.remove()
  // Revoked on the next tick: the click has handed the URL to the download by then.
  setTimeout(() => URL.revokeObjectURL(url), 0)
}

export const stamp = (now = new Date()) => now.toISOString().slice(0, 19).replaceAll(":", "")
