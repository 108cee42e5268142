// RFB ProtocolVersion messages: "RFB xxx.yyy\n", 12 bytes, both ways at the start of a connection.

export const RFB_VERSION_BYTES = 12
export const RFB_38 = new TextEncoder().encode("RFB 003.008\n")

export const SecurityType = { none: 1, vncAuth: 2 } as const

/** { major, minor } of a ProtocolVersion message, or null for anything else. */
export function parseRfbVersion(bytes: Uint8Array): { major: number; minor: number } | null {
  if (bytes.byteLength !== RFB_VERSION_BYTES) return null
  const m = /^RFB (\d{3})\.(\d{3})\n$/.exec(String.fromCharCode(...bytes))
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : null
}

/** Printable form of bytes that should have been a version, for error messages. */
export const showBytes = (bytes: Uint8Array) => JSON.stringify(String.fromCharCode(...bytes))
