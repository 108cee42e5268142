// Key combinations a browser (or the OS around it) would keep for itself, sent to the desktop as X keysyms.

/** X11 keysyms (X11/keysymdef.h) and the DOM `code` noVNC sends beside them. */
export const KEY = {
  Control: { keysym: 0xffe3, code: "ControlLeft" },
  Alt: { keysym: 0xffe9, code: "AltLeft" },
  Shift: { keysym: 0xffe1, code: "ShiftLeft" },
  Super: { keysym: 0xffeb, code: "MetaLeft" },
  Delete: { keysym: 0xffff, code: "Delete" },
  Tab: { keysym: 0xff09, code: "Tab" },
  Escape: { keysym: 0xff1b, code: "Escape" },
  PrintScreen: { keysym: 0xff61, code: "PrintScreen" },
  W: { keysym: 0x0077, code: "KeyW" },
  T: { keysym: 0x0074, code: "KeyT" },
  N: { keysym: 0x006e, code: "KeyN" },
} as const

export interface Key {
  keysym: number
  code: string
}

/** F1…F12: keysyms 0xffbe…0xffc9. */
export const functionKey = (n: number): Key => {
  if (!Number.isInteger(n) || n < 1 || n > 12) throw new RangeError(`F${n} is not a function key`)
  return { keysym: 0xffbe + n - 1, code: `F${n}` }
}

export interface Shortcut {
  id: string
  label: string
  /** Pressed in order, released in reverse. */
  keys: Key[]
}

export const SHORTCUTS: readonly Shortcut[] = [
  { id: "ctrl-alt-del", label: "Ctrl+Alt+Del", keys: [KEY.Control, KEY.Alt, KEY.Delete] },
  { id: "ctrl-w", label: "Ctrl+W", keys: [KEY.Control, KEY.W] },
  { id: "ctrl-t", label: "Ctrl+T", keys: [KEY.Control, KEY.T] },
  { id: "ctrl-n", label: "Ctrl+N", keys: [KEY.Control, KEY.N] },
  { id: "alt-tab", label: "Alt+Tab", keys: [KEY.Alt, KEY.Tab] },
  { id: "alt-f4", label: "Alt+F4", keys: [KEY.Alt, functionKey(4)] },
  { id: "super", label: "Super", keys: [KEY.Super] },
  { id: "escape", label: "Esc", keys: [KEY.Escape] },
  { id: "print", label: "Print Screen", keys: [KEY.PrintScreen] },
  ...Array.from({ length: 12 }, (_, i) => ({
    id: `ctrl-alt-f${i + 1}`,
    label: `Ctrl+Alt+F${i + 1}`,
    keys: [KEY.Control, KEY.Alt, functionKey(i + 1)],
  })),
]

/** The key events of a shortcut: every key down in order, then up in reverse, like a person's hand. */
export function strokes(shortcut: Pick<Shortcut, "keys">): { key: Key; down: boolean }[] {
  return [
    ...shortcut.keys.map((key) => ({ key, down: true })),
    ...[...shortcut.keys].reverse().map((key) => ({ key, down: false })),
  ]
}
