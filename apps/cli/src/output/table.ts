export interface Column<Row> {
  header: string
  value(row: Row): unknown
}

/**
 * A plain-text table: upper-case headers, columns padded to their widest cell, two spaces
 * between. Cells are one line (newlines become spaces); empty cells show `-`. No rows:
 * the `empty` line instead, when given.
 */
export function formatTable<Row>(columns: Column<Row>[], rows: readonly Row[], options: { header?: boolean; empty?: string } = {}): string {
  if (rows.length === 0 && options.empty !== undefined) return `${options.empty}\n`
  const header = options.header ?? true
  const lines = rows.map((row) => columns.map((c) => cell(c.value(row))))
  if (header) lines.unshift(columns.map((c) => c.header.toUpperCase()))
  const widths = columns.map((_, i) => Math.max(...lines.map((line) => line[i]?.length ?? 0)))
  return lines.map((line) => line.map((text, i) => (i === line.length - 1 ? text : text.padEnd(widths[i] ?? 0))).join('  ')).join('\n') + '\n'
}

/** `key: value` lines, aligned: one record shown in full. */
export function formatDetails(pairs: [label: string, value: unknown][]): string {
  return formatTable(
    [
      { header: '', value: (p: [string, unknown]) => `${p[0]}:` },
      { header: '', value: (p: [string, unknown]) => p[1] },
    ],
    pairs,
    { header: false },
  )
}

/** ISO time without milliseconds; other values as text. */
function cell(value: unknown): string {
  if (value === undefined || value === null || value === '') return '-'
  if (value instanceof Date) return value.toISOString().replace(/\.\d{3}Z$/, 'Z')
  if (typeof value === 'string') return (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value) ? value.replace(/\.\d+Z$/, 'Z') : value).replace(/\s*\n\s*/g, ' ')
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map(String).join(' ')
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}
