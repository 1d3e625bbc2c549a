/**
 * Plain-text tables and human-readable figures for the CLI's summaries. Tables are aligned with
 * spaces (two between columns), numbers right-aligned, and carry no colour or box drawing, so they
 * survive `less`, `grep` and copy-paste.
 */

export interface Column {
  header: string
  /** Right-align (numbers). */
  isNumeric?: boolean
  /**
   * To fit a width (fitTable), columns are left out lowest `dropOrder` first; a column without
   * one is always shown.
   */
  dropOrder?: number
  /**
   * To fit a width, cells may be shortened with an ellipsis: 'middle' keeps both ends (a name's
   * `-3` partition suffix), 'end' keeps the start. Numbers are never shortened.
   */
  shorten?: 'middle' | 'end'
  /** The last column's text may wrap onto continuation lines to fit a width. */
  wraps?: boolean
}

/** Rows of cells under a header row, each column as wide as its widest cell. */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[], indent = ''): string[] {
  const widths = columnWidths(columns, rows)
  const line = (cells: readonly string[]): string =>
    indent +
    columns
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

export interface FittedTable {
  lines: string[]
  /** Headers of the columns left out. */
  hidden: string[]
  /** Some cell was shortened or wrapped. */
  isShortened: boolean
}

/** Shortened cells are first cut to this many characters, before any column is left out. */
const SHORTEN_FIRST_WIDTH = 28
const SHORTEN_MIN_WIDTH = 12
const WRAP_MIN_WIDTH = 24
const GAP = 2

/**
 * formatTable within `width` characters (the terminal, or 80): long names are shortened and the
 * last column wrapped, then the least useful columns left out (and put back where they fit after
 * all), then names shortened further (or given back room that is left). A table that cannot fit
 * even so is printed as narrow as it gets. `width: Infinity` is formatTable.
 */
export function fitTable(columns: readonly Column[], rows: readonly (readonly string[])[], indent: string, width: number): FittedTable {
  const widths = columnWidths(columns, rows)
  let shown = columns.map((_, slot) => slot)
  const total = (slots: readonly number[]): number =>
    indent.length + slots.reduce((sum, slot) => sum + widths[slot]!, 0) + GAP * (slots.length - 1)
  if (total(shown) <= width) return { lines: formatTable(columns, rows, indent), hidden: [], isShortened: false }
  // Wrapping the last column (an explanation) loses nothing: it goes first, as far as needed with
  // every name at full length. What is left over at the end goes back to it.
  const last = shown[shown.length - 1]!
  const wraps = columns[last]!.wraps === true
  if (wraps) widths[last] = Math.max(Math.min(WRAP_MIN_WIDTH, widths[last]!), widths[last]! - (total(shown) - width))
  const shortenable = shown.filter((slot) => columns[slot]!.shorten !== undefined && columns[slot]!.isNumeric !== true)
  for (const slot of shortenable) widths[slot] = Math.min(widths[slot]!, Math.max(columns[slot]!.header.length, SHORTEN_FIRST_WIDTH))
  const dropped: number[] = []
  const droppable = shown
    .filter((slot) => columns[slot]!.dropOrder !== undefined)
    .sort((a, b) => columns[a]!.dropOrder! - columns[b]!.dropOrder!)
  for (const slot of droppable) {
    if (total(shown) <= width) break
    shown = shown.filter((other) => other !== slot)
    dropped.push(slot)
  }
  // Leaving out a wide column may have made room for narrower ones left out before it.
  for (const slot of [...dropped].reverse()) {
    const candidate = [...shown, slot].sort((a, b) => a - b)
    if (total(candidate) <= width) {
      shown = candidate
      dropped.splice(dropped.indexOf(slot), 1)
    }
  }
  const natural = columnWidths(columns, rows)
  const names = shortenable.filter((slot) => shown.includes(slot))
  const floor = (slot: number): number => Math.min(natural[slot]!, Math.max(columns[slot]!.header.length, SHORTEN_MIN_WIDTH))
  // One character at a time from the widest name, so two long names share the cut.
  for (let excess = total(shown) - width; excess > 0; excess--) {
    const widest = names.filter((slot) => widths[slot]! > floor(slot)).sort((a, b) => widths[b]! - widths[a]!)[0]
    if (widest === undefined) break
    widths[widest]!--
  }
  // Room left over after leaving columns out goes back to the shortened names, narrowest first.
  for (let slack = width - total(shown); slack > 0; slack--) {
    const cut = names.filter((slot) => widths[slot]! < natural[slot]!).sort((a, b) => widths[a]! - widths[b]!)[0]
    if (cut === undefined) break
    widths[cut]!++
  }
  if (wraps && shown.includes(last)) widths[last] = Math.min(natural[last]!, widths[last]! + Math.max(0, width - total(shown)))
  return {
    lines: renderFitted(
      shown.map((slot) => columns[slot]!),
      shown.map((slot) => widths[slot]!),
      rows.map((row) => shown.map((slot) => row[slot] ?? '')),
      indent,
    ),
    hidden: dropped.sort((a, b) => a - b).map((slot) => columns[slot]!.header),
    isShortened: shown.some((slot) => widths[slot]! < natural[slot]!),
  }
}

function renderFitted(
  columns: readonly Column[],
  widths: readonly number[],
  rows: readonly (readonly string[])[],
  indent: string,
): string[] {
  const lastSlot = columns.length - 1
  const lastStart = indent.length + widths.slice(0, lastSlot).reduce((sum, cellWidth) => sum + cellWidth + GAP, 0)
  const lines: string[] = []
  for (const cells of [columns.map((column) => column.header), ...rows]) {
    let continuation: string[] = []
    const parts = columns.map((column, slot) => {
      let cell = cells[slot] ?? ''
      const cellWidth = widths[slot]!
      if (cell.length > cellWidth) {
        if (slot === lastSlot && column.wraps === true) {
          const wrapped = wrapText(cell, cellWidth)
          cell = wrapped[0]!
          continuation = wrapped.slice(1)
        } else if (column.shorten !== undefined) {
          cell = shortenText(cell, cellWidth, column.shorten)
        }
      }
      if (column.isNumeric === true) return cell.padStart(cellWidth)
      return slot === lastSlot ? cell : cell.padEnd(cellWidth)
    })
    lines.push((indent + parts.join(' '.repeat(GAP))).trimEnd())
    for (const more of continuation) lines.push(' '.repeat(lastStart) + more)
  }
  return lines
}

/** `text` cut to `width` characters with an ellipsis at its end or in its middle. */
export function shortenText(text: string, width: number, where: 'middle' | 'end'): string {
  if (text.length <= width) return text
  if (width <= 1) return '…'.slice(0, width)
  if (where === 'end') return `${text.slice(0, width - 1)}…`
  const head = Math.ceil((width - 1) / 2)
  return `${text.slice(0, head)}…${text.slice(text.length - (width - 1 - head))}`
}

/** Words of `text` in lines of at most `width` characters (a longer word is cut). */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/)) {
    if (word === '') continue
    if (line === '') line = word
    else if (line.length + 1 + word.length <= width) line += ` ${word}`
    else {
      lines.push(line)
      line = word
    }
    while (line.length > width) {
      lines.push(line.slice(0, width))
      line = line.slice(width)
    }
  }
  if (line !== '' || lines.length === 0) lines.push(line)
  return lines
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

const DURATIONS: readonly (readonly [string, number])[] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
]

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
