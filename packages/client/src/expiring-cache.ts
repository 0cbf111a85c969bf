/** A value and the moment it stops being usable. */
export interface Expiring<T> {
  value: T
  expiresAt: Date
}

export interface ExpiringCache<T> {
  /**
   * The cached value for `key` while it has more than the skew left, else `load()`'s. Callers
   * that ask while a load is running share it: ten concurrent exchanges make one request.
   * A failed load is not cached.
   */
  get(key: string, load: () => Promise<Expiring<T>>): Promise<T>
  /** True when `key` holds a value that `get` would return without loading. */
  has(key: string): boolean
  delete(key: string): void
}

export function createExpiringCache<T>(now: () => Date, skewMs: number): ExpiringCache<T> {
  const entries = new Map<string, Expiring<T>>()
  const loading = new Map<string, Promise<T>>()
  const fresh = (entry: Expiring<T> | undefined): entry is Expiring<T> => entry !== undefined && entry.expiresAt.getTime() - skewMs > now().getTime()

  return {
    get(key, load) {
      const entry = entries.get(key)
      if (fresh(entry)) return Promise.resolve(entry.value)
      const running = loading.get(key)
      if (running) return running
      const promise = load()
        .then((loaded) => {
          entries.set(key, loaded)
          return loaded.value
        })
        .finally(() => loading.delete(key))
      loading.set(key, promise)
      return promise
    },
    has: (key) => fresh(entries.get(key)),
    delete: (key) => void entries.delete(key),
  }
}
