// Races a promise against a deadline, clearing the timer either way (hot paths make many of these).
export const withDeadline = <T, F>(work: Promise<T>, ms: number, onTimeout: () => F): Promise<T | F> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout()), ms)
  })
  return Promise.race([work, expired]).finally(() => clearTimeout(timer))
}
