import { describe, expect, it } from 'vitest'
import { createProgress } from './progress.js'

const stream = (isTTY: boolean) => {
  const writes: string[] = []
  return { writes, stream: { isTTY, write: (text: string) => writes.push(text) > 0 } as unknown as NodeJS.WriteStream }
}

describe('createProgress', () => {
  it('redraws one bar in place on a TTY and ends the line when finished', () => {
    const { writes, stream: tty } = stream(true)
    const progress = createProgress(tty, 'grants')
    progress.update(0, 4)
    progress.update(2, 4)
    progress.update(4, 4)
    progress.finish()
    expect(writes).toEqual([`\r[${'.'.repeat(30)}] 0/4 grants`, `\r[${'#'.repeat(15)}${'.'.repeat(15)}] 2/4 grants`, `\r[${'#'.repeat(30)}] 4/4 grants`, '\n'])
  })

  it('writes a plain line only when the count changes elsewhere (pipes, CI logs)', () => {
    const { writes, stream: pipe } = stream(false)
    const progress = createProgress(pipe, 'grants')
    for (const done of [0, 0, 1, 1, 3]) progress.update(done, 3)
    progress.finish()
    expect(writes).toEqual(['0/3 grants\n', '1/3 grants\n', '3/3 grants\n'])
  })
})
