// Source text of the two modules the runtime adds to every isolate: the synthetic `host:api` and the harness.
import { HOST_METHODS } from "@streamspace/schemas"

/** Globals the runtime sets before `host:api` evaluates; the module takes them and deletes them. */
export const BRIDGE_GLOBALS = {
  send: "__ssSend",
  complete: "__ssComplete",
  config: "__ssConfig",
  install: "__ssInstall",
} as const

/** What the send callback returns instead of a host-call id when it refuses the call. */
export const REFUSED = { stopped: -1, outsideCall: -2, malformed: -3 } as const
const REFUSAL_MESSAGES: Record<number, string> = {
  [REFUSED.stopped]: "This plugin is being stopped; the host takes no more calls from it.",
  [REFUSED.outsideCall]: "HOST_CALL_OUTSIDE_CALL: host calls are allowed only while a hook or event runs.",
  [REFUSED.malformed]: "Malformed host call.",
}

/** Prefixes of the harness's answers, so a plugin cannot pass its own failure off as the host's. */
export const ANSWER = { ok: "r", threw: "t", noHandler: "n", badResult: "b" } as const

const namespaces = (): Map<string, string[]> => {
  const byNamespace = new Map<string, string[]>()
  for (const method of HOST_METHODS) {
    const [ns, fn] = method.split(".") as [string, string]
    byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), fn])
  }
  return byNamespace
}

/**
 * `host:api`: each exported function turns its arguments into JSON, hands them to the host through
 * the send callback and returns a promise the runtime settles later through `__settle`.
 */
export const hostApiSource = (): string => {
  const g = BRIDGE_GLOBALS
  const exports = [...namespaces()].map(
    ([ns, fns]) =>
      `export const ${ns} = freeze({ ${fns.map((fn) => `${fn}: (...args) => call("${ns}.${fn}", args)`).join(", ")} })`,
  )
  return `
const send = globalThis.${g.send}
const complete = globalThis.${g.complete}
const config = globalThis.${g.config}
const install = globalThis.${g.install}
delete globalThis.${g.send}; delete globalThis.${g.complete}; delete globalThis.${g.config}; delete globalThis.${g.install}
const { stringify, parse } = JSON
const { freeze } = Object
const PromiseCtor = Promise
const ErrorCtor = Error
const pending = new Map()
const refusals = ${JSON.stringify(REFUSAL_MESSAGES)}
function call(method, args) {
  while (args.length > 0 && args[args.length - 1] === undefined) args.pop()
  let id
  try { id = send(method, stringify(args)) } catch (error) { return PromiseCtor.reject(error) }
  if (id < 0) return PromiseCtor.reject(new ErrorCtor(refusals[id]))
  return new PromiseCtor((resolve, reject) => { pending.set(id, { resolve, reject }) })
}
export function __settle(id, ok, payload) {
  const waiter = pending.get(id)
  if (waiter === undefined) return
  pending.delete(id)
  if (ok) { waiter.resolve(payload === undefined ? undefined : parse(payload)); return }
  const failure = parse(payload)
  const error = new ErrorCtor(failure.message)
  error.code = failure.code
  waiter.reject(error)
}
${exports.join("\n")}
export { config, install }
/** For the harness: hands a finished call's tagged answer back to the runtime. */
export const __complete = complete
`
}

/** The harness: finds the plugin's handlers and answers with a tagged JSON string. */
export const harnessSource = (): string => `
import plugin from "plugin"
import * as host from "host:api"
import { __complete } from "host:api"
export { __settle } from "host:api"
const { stringify, parse } = JSON
const { keys, hasOwn } = Object
const StringCtor = String
const table = (name) => {
  const t = plugin != null ? plugin[name] : undefined
  return t != null && typeof t === "object" ? t : {}
}
const hooks = table("hooks")
const events = table("events")
const describeError = (e) => {
  try {
    const text = StringCtor((e != null && e.stack) || e)
    return e != null && typeof e.code === "string" ? "[" + e.code + "] " + text : text
  } catch { return "an error that cannot be printed" }
}
async function run(fn, input) {
  let out
  try { out = await fn(parse(input), host) } catch (e) { return "${ANSWER.threw}" + describeError(e) }
  try {
    const json = stringify(out === undefined ? null : out)
    return typeof json === "string" ? "${ANSWER.ok}" + json : "${ANSWER.badResult}the result is not JSON"
  } catch (e) { return "${ANSWER.badResult}" + describeError(e) }
}
export function __describe() {
  return stringify({
    isPlugin: plugin != null && typeof plugin === "object",
    hooks: keys(hooks).filter((k) => typeof hooks[k] === "function"),
    events: keys(events).filter((k) => typeof events[k] === "function"),
  })
}
const eventHandler = (type) => {
  if (hasOwn(events, type)) return events[type]
  const parts = type.split(".")
  for (let i = parts.length - 1; i > 0; i--) {
    const pattern = parts.slice(0, i).join(".") + ".*"
    if (hasOwn(events, pattern)) return events[pattern]
  }
  return hasOwn(events, "*") ? events["*"] : undefined
}
/**
 * Starts a hook ("h") or event ("e") call; the answer comes back through __complete, usually before
 * this entry into the isolate returns (the microtasks run at its end).
 */
export function __start(id, kind, name, input) {
  const fn = kind === "h" ? (hasOwn(hooks, name) ? hooks[name] : undefined) : eventHandler(name)
  if (typeof fn !== "function") { __complete(id, "${ANSWER.noHandler}no handler for " + name); return }
  run(fn, input).then((answer) => __complete(id, answer))
}
`
