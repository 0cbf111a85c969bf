import { useCallback, useEffect, useRef, useState } from 'react'

/**
 * Loads once per `key` change; `reload` reads again, keeping what is shown until the new answer
 * is in (a page open mid-flow, a revocation's receipt, stays). Errors are shown, never swallowed.
 */
export function useLoad<T>(load: () => Promise<T>, key: string): { data?: T; error?: string; reload: () => void } {
  const [state, setState] = useState<{ data?: T; error?: string }>({})
  const [tick, setTick] = useState(0)
  const shownKey = useRef(key)
  useEffect(() => {
    let live = true
    if (shownKey.current !== key) setState({})
    shownKey.current = key
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
