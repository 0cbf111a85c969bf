import { inspect } from 'node:util'

/**
 * A secret resolved from `{ env }` or `{ file }` configuration. Printing, logging or
 * serialising it shows `[redacted]`; only `reveal()` returns the value.
 */
export class SecretValue {
  readonly #value: string

  constructor(value: string) {
    this.#value = value
  }

  reveal(): string {
    return this.#value
  }

  toString(): string {
    return '[redacted]'
  }

  toJSON(): string {
    return '[redacted]'
  }

  [inspect.custom](): string {
    return '[redacted]'
  }
}

export function isSecretValue(value: unknown): value is SecretValue {
  return value instanceof SecretValue
}
