// VNC Authentication (RFB security type 2): the DES answer to the server's 16-byte challenge.
import { createCipheriv } from "node:crypto"

export const VNC_CHALLENGE_BYTES = 16

/** VNC keys DES with each password byte's bits mirrored — a quirk of the original implementation. */
const mirrorBits = (b: number) => {
  let out = 0
  for (let i = 0; i < 8; i++) out |= ((b >> i) & 1) << (7 - i)
  return out
}

/** The key: the password's first 8 bytes (Latin-1, as VNC servers read it), zero-padded, bits mirrored. */
export function vncAuthKey(password: string): Buffer {
  const key = Buffer.alloc(8)
  Buffer.from(password, "latin1").copy(key, 0, 0, 8)
  for (let i = 0; i < 8; i++) key[i] = mirrorBits(key[i] ?? 0)
  return key
}

export function vncAuthResponse(password: string, challenge: Uint8Array): Uint8Array {
  if (challenge.byteLength !== VNC_CHALLENGE_BYTES)
    throw new RangeError(`A VNC challenge has ${VNC_CHALLENGE_BYTES} bytes, not ${challenge.byteLength}.`)
  const cipher = createCipheriv("des-ecb", vncAuthKey(password), null)
  cipher.setAutoPadding(false)
  return new Uint8Array(Buffer.concat([cipher.update(challenge), cipher.final()]))
}
