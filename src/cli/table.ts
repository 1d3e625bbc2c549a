/**
 * Plain-text tables and human-readable figures for the CLI's summaries. Tables are aligned with
 * spaces (two between columns), numbers right-aligned, and carry no colour or box drawing, so they
 * survive `less`, `grep` and copy-paste.
 */

export interface Column {
  header: string
  /** Right-align (numbers). */
  isNumeric?: boolean
}

/** Rows of cells under a header row, each column as wide as its widest cell. */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[], indent = ''): string[] {
  const widths = columnWidths(columns, rows)
  const line = (cells: readonly string[]): string => indent + columns
    .map((column, slot) => {
      const cell = cells[slot] ?? ''
      const isLast = slot === columns.length - 1
      if (column.isNumeric === true) return cell.padStart(widths[slot]!)
      return isLast ? cell : cell.padEnd(widths[slot]!)
    })
    .join('  ')
    .trimEnd()
  return [line(columns.map((column) => column.header)), ...rows.map(line)]
}

/** Each column's width: its widest cell, header included. */
export function columnWidths(columns: readonly Column[], rows: readonly (readonly string[])[]): number[] {
  return columns.map((column, slot) => Math.max(column.header.length, ...rows.map((row) => (row[slot] ?? '').length)))
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const

/** `512 B`, `12.3 KiB`, `1.0 GiB`: one decimal above a KiB. */
export function formatBytes(bytes: number): string {
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${BYTE_UNITS[unit]}`
}

/** A byte setting as written: `1 GiB`, `4 KiB`, `1000` (exact, so the figure can be copied back). */
export function formatByteSetting(bytes: number): string {
  for (let unit = BYTE_UNITS.length - 1; unit > 0; unit--) {
    const size = 1024 ** unit
    if (bytes > 0 && bytes % size === 0) return `${bytes / size} ${BYTE_UNITS[unit]}`
  }
  return String(bytes)
}

const DURATIONS: readonly (readonly [string, number])[] = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]]

/** A millisecond setting: `7d`, `1h`, `90s`, `250ms`; -1 stays -1 (forever). */
export function formatMsSetting(ms: number): string {
  for (const [unit, size] of DURATIONS) if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`
  return ms < 0 ? String(ms) : `${ms}ms`
}

/** ISO 8601 in UTC, or '-' for no timestamp. */
export function formatTimestamp(ms: number | null): string {
  if (ms === null || ms < 0) return '-'
  const date = new Date(ms)
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString()
}

/** `75%`, `0.5%`, `100%`. */
export function formatShare(part: number, whole: number): string {
  if (whole === 0) return '-'
  const percent = (part / whole) * 100
  return `${percent >= 10 || percent === 0 ? Math.round(percent) : percent.toFixed(1)}%`
}
