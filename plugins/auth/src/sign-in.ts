// Password sign-in: throttling, the password, the second factor, then a new sign-in (refresh-token family).
import type { AuthDenied, AuthGranted, SignInInput, User } from "@streamspace/schemas"
import { users } from "host:api"
import { now } from "./codec.ts"
import { deny, INVALID_CREDENTIALS } from "./outcomes.ts"
import { checkPassword } from "./passwords.ts"
import { startSignIn } from "./sign-ins.ts"
import { clearFailures, recordFailure, refusal } from "./throttle.ts"
import { checkSecondFactor } from "./totp.ts"

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,63}$/
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** Looks a user up by username or email; a name that cannot be either matches nobody (and reaches no host check). */
async function findUser(name: string): Promise<User | null> {
  const key = name.trim().toLowerCase()
  if (key.includes("@")) return EMAIL.test(key) && key.length <= 254 ? users.lookup({ email: key }) : null
  return USERNAME.test(key) ? users.lookup({ username: key }) : null
}

type SignInAnswer = AuthGranted | AuthDenied | { outcome: "mfa_required"; reason: string }

export async function signIn(input: SignInInput): Promise<SignInAnswer> {
  const { username, password, client } = input
  const at = await now()
  const throttle = await refusal(username, client.ip, at)
  if ("outcome" in throttle) return throttle
  const user = await findUser(username)
  const passwordOk = await checkPassword(user?.id, password)
  if (user === null || !passwordOk) return (await recordFailure(username, client.ip, at)) ?? INVALID_CREDENTIALS()
  if (user.disabled) return deny("ACCOUNT_DISABLED", "This account is disabled. Ask an admin.")
  const second = await checkSecondFactor(user.id, user.username, input)
  if (second === "missing")
    return { outcome: "mfa_required", reason: "Enter the code from your authenticator app, or a recovery code." }
  if (second !== null) return (await recordFailure(username, client.ip, at)) ?? second
  if (throttle.failures) await clearFailures(username)
  return startSignIn(user.id, "password", client)
}
