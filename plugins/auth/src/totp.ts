// TOTP second factor (otpauth runs here, in the isolate) and hashed single-use recovery codes.
import type { AuthDenied } from "@streamspace/schemas"
import { crypto, kv } from "host:api"
import { Secret, TOTP } from "otpauth"
import { digest, hexToBytes, now, randomCode, sameText } from "./codec.ts"
import { deny } from "./outcomes.ts"
import { settings } from "./settings.ts"

interface TotpRecord {
  secret: string
  confirmed: boolean
  /** The last time step a code was accepted for: a code works once. */
  lastStep: number
}

const totpKey = (userId: string) => `totp:${userId}`
const codesKey = (userId: string) => `rc:${userId}`
const PERIOD = 30

const totpFor = (username: string, secret: string) =>
  new TOTP({
    issuer: settings.totp.issuer,
    label: username,
    algorithm: "SHA1",
    digits: 6,
    period: PERIOD,
    secret: Secret.fromBase32(secret),
  })

const readTotp = async (userId: string) => (await kv.get(totpKey(userId))) as TotpRecord | null

export const totpEnabled = async (userId: string): Promise<boolean> => (await readTotp(userId))?.confirmed === true

/** Starts (or restarts) enrolment: a new secret, not yet in force until a code from it is verified. */
export async function enrol(userId: string, username: string): Promise<{ secret: string; uri: string } | AuthDenied> {
  if (await totpEnabled(userId))
    return deny("TOTP_ALREADY_ENABLED", "Two-factor sign-in is already on. Turn it off first to enrol a new device.")
  const secret = new Secret({ buffer: hexToBytes(await crypto.randomBytes(20, "hex")).buffer }).base32
  await kv.set(totpKey(userId), { secret, confirmed: false, lastStep: 0 } satisfies TotpRecord)
  return { secret, uri: totpFor(username, secret).toString() }
}

/** Accepts a code from the user's authenticator once; records its time step so it cannot be replayed. */
async function acceptCode(userId: string, username: string, record: TotpRecord, code: string): Promise<boolean> {
  const at = await now()
  const delta = totpFor(username, record.secret).validate({ token: code, timestamp: at, window: settings.totp.window })
  if (delta === null) return false
  const step = Math.floor(at / 1000 / PERIOD) + delta
  if (step <= record.lastStep) return false
  await kv.set(totpKey(userId), { ...record, lastStep: step } satisfies TotpRecord)
  return true
}

const WRONG_CODE = () =>
  deny("TOTP_INVALID", "The code is wrong or was already used. Enter the current code from your app.", { field: "totp" })

/** Confirms enrolment with a first code and hands out the recovery codes (shown once). */
export async function confirm(userId: string, username: string, code: string): Promise<{ recoveryCodes: string[] } | AuthDenied> {
  const record = await readTotp(userId)
  if (record === null) return deny("TOTP_NOT_ENROLLED", "Start two-factor enrolment first.")
  if (record.confirmed) return deny("TOTP_ALREADY_ENABLED", "Two-factor sign-in is already on.")
  if (!(await acceptCode(userId, username, record, code))) return WRONG_CODE()
  const stored = (await readTotp(userId)) as TotpRecord
  await kv.set(totpKey(userId), { ...stored, confirmed: true } satisfies TotpRecord)
  return { recoveryCodes: await newRecoveryCodes(userId) }
}

interface SecondFactor {
  totp?: string
  recoveryCode?: string
}

/**
 * Checks a second factor for a user with TOTP on: null when it passes, "missing" when none was given,
 * or a denial when the one given is wrong. A recovery code is used up.
 */
export async function checkSecondFactor(
  userId: string,
  username: string,
  factor: SecondFactor,
): Promise<null | "missing" | AuthDenied> {
  const record = await readTotp(userId)
  if (record === null || !record.confirmed) return null
  if (factor.totp !== undefined) return (await acceptCode(userId, username, record, factor.totp)) ? null : WRONG_CODE()
  if (factor.recoveryCode !== undefined)
    return (await useRecoveryCode(userId, factor.recoveryCode))
      ? null
      : deny("RECOVERY_CODE_INVALID", "That recovery code is wrong or was already used.", { field: "recoveryCode" })
  return "missing"
}

export async function disable(userId: string, username: string, factor: SecondFactor): Promise<AuthDenied | null> {
  if (!(await totpEnabled(userId))) return deny("TOTP_NOT_ENABLED", "Two-factor sign-in is not on.")
  const check = await checkSecondFactor(userId, username, factor)
  if (check === "missing") return deny("TOTP_REQUIRED", "Enter a code from your app or a recovery code.", { field: "totp" })
  if (check !== null) return check
  await kv.delete(totpKey(userId))
  await kv.delete(codesKey(userId))
  return null
}

export async function regenerateRecoveryCodes(
  userId: string,
  username: string,
  code: string,
): Promise<{ recoveryCodes: string[] } | AuthDenied> {
  const record = await readTotp(userId)
  if (record === null || !record.confirmed) return deny("TOTP_NOT_ENABLED", "Turn on two-factor sign-in first.")
  if (!(await acceptCode(userId, username, record, code))) return WRONG_CODE()
  return { recoveryCodes: await newRecoveryCodes(userId) }
}

/** Codes look like `k7dq2-mx9pa`; they are compared without dashes, spaces or case. */
const normalise = (code: string) => code.toLowerCase().replace(/[\s-]/g, "")

async function newRecoveryCodes(userId: string): Promise<string[]> {
  const { count } = settings.recoveryCodes
  const raw = await randomCode(10 * count)
  const codes = Array.from({ length: count }, (_, i) => `${raw.slice(i * 10, i * 10 + 5)}-${raw.slice(i * 10 + 5, i * 10 + 10)}`)
  const hashes = await Promise.all(codes.map((c) => digest(normalise(c))))
  await kv.set(codesKey(userId), hashes)
  return codes
}

async function useRecoveryCode(userId: string, code: string): Promise<boolean> {
  const hashes = ((await kv.get(codesKey(userId))) as string[] | null) ?? []
  const presented = await digest(normalise(code))
  const index = hashes.findIndex((h) => sameText(h, presented))
  if (index === -1) return false
  await kv.set(
    codesKey(userId),
    hashes.filter((_, i) => i !== index),
  )
  return true
}

export const recoveryCodesLeft = async (userId: string): Promise<number> =>
  (((await kv.get(codesKey(userId))) as string[] | null) ?? []).length
