import { readFile } from 'node:fs/promises'
import { CliError } from './cli-error.js'

/** The text of a file the user named, or of stdin for `-`; a read failure is one CliError line. */
export async function readInput(path: string, what: string): Promise<string> {
  if (path === '-') {
    let text = ''
    for await (const chunk of process.stdin) text += String(chunk)
    return text
  }
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    throw new CliError(`cannot read ${what} from ${path}: ${(err as NodeJS.ErrnoException).code ?? 'unknown error'}`)
  }
}
