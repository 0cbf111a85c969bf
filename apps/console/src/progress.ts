import { EventSourceParserStream } from 'eventsource-parser/stream'
import { api, must } from './api/client.js'
import type { Revocation } from './api/wire.js'

const pollMs = 500

/**
 * Follows a revocation until it is done (full dark), calling `onUpdate` on every change.
 * Pushed by the broker (GET /v1/revocations/{id}/progress, server-sent events, read with fetch
 * so the CSRF header goes along: EventSource cannot send one); polling GET /v1/revocations/{id}
 * is the fallback when the stream cannot be had or breaks off early.
 */
export async function followRevocation(id: string, onUpdate: (revocation: Revocation, via: 'stream' | 'polling') => void, signal: AbortSignal): Promise<Revocation> {
  try {
    const { data, response } = await api.GET('/v1/revocations/{id}/progress', { params: { path: { id } }, parseAs: 'stream', signal })
    if (response.ok && data !== undefined && data !== null) {
      const text = (data as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>)
      const events = text.pipeThrough(new EventSourceParserStream()).getReader()
      for (;;) {
        const { value: event, done } = await events.read()
        if (done) break
        const revocation = JSON.parse(event.data) as Revocation
        onUpdate(revocation, 'stream')
        if (event.event === 'done') return revocation
      }
    }
  } catch (error) {
    if (signal.aborted) throw error
  }
  for (;;) {
    const revocation = await must<Revocation>(api.GET('/v1/revocations/{id}', { params: { path: { id } }, signal }))
    onUpdate(revocation, 'polling')
    if (revocation.status === 'done') return revocation
    await new Promise((resolve) => setTimeout(resolve, pollMs))
  }
}
