/** JSON for `--json` and for commands whose purpose is a document: two-space indent, one trailing newline. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`
}
