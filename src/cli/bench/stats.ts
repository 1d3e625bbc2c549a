/** A figure measured over several runs: the median is reported, with the spread beside it. */
export interface Spread {
  median: number
  min: number
  max: number
  runs: number[]
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  const median = sorted.length === 0 ? 0 : sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
  return { median, min: sorted[0] ?? 0, max: sorted[sorted.length - 1] ?? 0, runs: [...values] }
}

/** Percentile of raw samples (nearest rank). */
export function percentileOf(sorted: readonly number[], percent: number): number {
  if (sorted.length === 0) return 0
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((percent / 100) * sorted.length) - 1))
  return sorted[rank]!
}

/** Formats a number with thousands separators and fixed decimals. */
export function formatNumber(value: number, decimals = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals })
}

/** `median (min–max)` for a table cell. */
export function formatSpread(value: Spread, decimals = 0): string {
  if (value.runs.length <= 1) return formatNumber(value.median, decimals)
  return `${formatNumber(value.median, decimals)} (${formatNumber(value.min, decimals)}–${formatNumber(value.max, decimals)})`
}

/** A small aligned text table. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)))
  const line = (cells: readonly string[]): string => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ')
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n')
}
