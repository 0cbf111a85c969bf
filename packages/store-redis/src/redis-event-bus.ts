import type { Redis } from 'ioredis'
import { StoreUnavailable, type AgentStatus, type BusEvent, type EventBus } from '@lanyard/core'
import { call, type RedisClient } from './connection.js'

export interface RedisEventBusOptions {
  /** The command connection, for PUBLISH. */
  readonly publisher: RedisClient
  /** Opens the dedicated SUBSCRIBE connection; `round` counts replacements (cluster: next node). */
  readonly openSubscriber: (round: number) => Redis
  readonly channel: string
  /** Called once by `close()`, to release the publisher. */
  readonly onClose: () => Promise<void>
}

const statuses: readonly AgentStatus[] = ['active', 'suspended', 'revoked']

function parseEvent(message: string): BusEvent | undefined {
  try {
    const event = JSON.parse(message) as Partial<Record<keyof BusEvent, unknown>>
    if (event.type !== 'agent.changed' || typeof event.handle !== 'string' || !statuses.includes(event.status as AgentStatus) || !Number.isInteger(event.generation)) return undefined
    return { type: 'agent.changed', handle: event.handle, status: event.status as AgentStatus, generation: event.generation as number }
  } catch {
    return undefined
  }
}

/**
 * The EventBus on Redis pub/sub. Pub/sub is at-most-once: a message published while the
 * subscriber is disconnected is gone. So `healthy()` is false from the moment the subscriber
 * connection closes (or starts reconnecting) until Redis has confirmed the new SUBSCRIBE on the
 * new connection; in between, callers read through to the store. Resubscription is done here,
 * on every `ready` (ioredis `autoResubscribe` is off), because only then is the confirmation
 * observable; a refused SUBSCRIBE drops the connection so that it is tried again. An `epoch`
 * makes a confirmation that arrives after a newer disconnect count for nothing.
 */
export function createRedisEventBus(options: RedisEventBusOptions): EventBus {
  const { channel } = options
  const listeners = new Set<(event: BusEvent) => void>()
  let healthy = false
  let closed = false
  let epoch = 0
  let subscriber = attach(0)

  function lost(): void {
    epoch += 1
    healthy = false
  }

  function attach(round: number): Redis {
    const connection = options.openSubscriber(round)
    connection.on('error', () => undefined)
    connection.on('ready', () => {
      const mine = ++epoch
      const current = () => mine === epoch && !closed && connection === subscriber
      connection.subscribe(channel).then(
        () => {
          if (current()) healthy = true
        },
        // SUBSCRIBE refused (an ACL without the channel) or timed out on a live connection: no
        // `ready` would come again, leaving this replica reading through for good. Reconnect,
        // with the usual backoff, and subscribe again.
        () => {
          if (current()) connection.disconnect(true)
        },
      )
    })
    connection.on('close', lost)
    connection.on('reconnecting', lost)
    connection.on('end', () => {
      lost()
      // The connection gave up (cluster mode: this node is gone); try the next one.
      if (!closed && connection === subscriber) subscriber = attach(round + 1)
    })
    connection.on('message', (from: string, message: string) => {
      if (from !== channel) return
      const event = parseEvent(message)
      if (event === undefined) return
      for (const listener of listeners) {
        try {
          listener(event)
        } catch {
          // One listener's failure must not keep the event from the others.
        }
      }
    })
    return connection
  }

  return {
    async publish(event) {
      if (closed) throw new StoreUnavailable({ detail: 'the event bus was closed' })
      await call(() => options.publisher.publish(channel, JSON.stringify(event)))
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    healthy: () => healthy && !closed,
    epoch: () => epoch,
    async close() {
      if (closed) return
      closed = true
      lost()
      listeners.clear()
      subscriber.disconnect()
      await options.onClose()
    },
  }
}
