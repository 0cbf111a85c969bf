import { useCallback, useEffect, useState } from 'react'

/** Loads once per `key` change; `reload` reads again. Errors are shown, never swallowed. */
export function useLoad<T>(load: () => Promise<T>, key: string): { data?: T; error?: string; reload: () => void } {
  const [state, setState] = useState<{ data?: T; error?: string }>({})
  const [tick, setTick] = useState(0)
  useEffect(() => {
    let live = true
    setState({})
    load().then(
      (data) => live && setState({ data }),
      (error: unknown) => live && setState({ error: error instanceof Error ? error.message : String(error) }),
    )
    return () => {
      live = false
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, tick])
  return { ...state, reload: useCallback(() => setTick((t) => t + 1), []) }
}
