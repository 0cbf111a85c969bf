export interface Progress {
  update(done: number, total: number): void
  finish(): void
}

const BAR_WIDTH = 30

/**
 * Progress of `total` items. On a TTY: one bar redrawn in place. Elsewhere (pipes, CI logs):
 * a line each time the count changes, so logs show progress without control characters.
 */
export function createProgress(stream: NodeJS.WriteStream, noun: string): Progress {
  let last = -1
  let drawn = false
  return {
    update(done, total) {
      if (stream.isTTY) {
        const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH)
        stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${done}/${total} ${noun}`)
        drawn = true
      } else if (done !== last) {
        stream.write(`${done}/${total} ${noun}\n`)
      }
      last = done
    },
    finish() {
      if (drawn) stream.write('\n')
      drawn = false
    },
  }
}
