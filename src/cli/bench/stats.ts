import { columnWidths, formatTable as renderTable, type Column } from '../table.js'

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

/** A text table with a rule under the header: first column left-aligned, figures right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const columns: Column[] = header.map((cell, slot) => ({ header: cell, isNumeric: slot > 0 }))
  const [headerLine, ...lines] = renderTable(columns, rows)
  const rule = columnWidths(columns, rows)
    .map((width) => '-'.repeat(width))
    .join('  ')
  return [headerLine!, rule, ...lines].join('\n')
}
