/**
 * A self-contained HTML page for a sweep: inline SVG charts (no scripts, no network), one chart of
 * throughput and one of latency against the swept parameter, and the table of figures.
 */
export interface ReportSeries {
  name: string
  values: number[]
}

export interface ReportChart {
  title: string
  unit: string
  series: ReportSeries[]
}

export interface ReportInput {
  title: string
  parameter: string
  labels: string[]
  charts: ReportChart[]
  table: { header: string[]; rows: string[][] }
  notes: string[]
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b']

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!)
}

function niceMax(value: number): number {
  if (value <= 0) return 1
  const magnitude = 10 ** Math.floor(Math.log10(value))
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude
  return 10 * magnitude
}

function compact(value: number): string {
  if (value >= 1e9) return `${+(value / 1e9).toFixed(2)}G`
  if (value >= 1e6) return `${+(value / 1e6).toFixed(2)}M`
  if (value >= 1e3) return `${+(value / 1e3).toFixed(2)}k`
  return `${+value.toFixed(2)}`
}

/** A grouped bar chart: one group per label, one bar per series. */
export function barChartSvg(chart: ReportChart, labels: readonly string[]): string {
  const width = 640
  const height = 300
  const left = 70
  const bottom = 40
  const top = 30
  const plotWidth = width - left - 20
  const plotHeight = height - top - bottom
  const max = niceMax(Math.max(0, ...chart.series.flatMap((series) => series.values)))
  const groupWidth = plotWidth / Math.max(1, labels.length)
  const barWidth = (groupWidth * 0.8) / Math.max(1, chart.series.length)
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(chart.title)}">`,
  ]
  parts.push(
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escapeHtml(chart.title)} (${escapeHtml(chart.unit)})</text>`,
  )
  for (let tick = 0; tick <= 4; tick++) {
    const y = top + plotHeight - (tick / 4) * plotHeight
    parts.push(`<line x1="${left}" y1="${y}" x2="${width - 20}" y2="${y}" stroke="#ddd"/>`)
    parts.push(`<text x="${left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${compact((tick / 4) * max)}</text>`)
  }
  labels.forEach((label, group) => {
    const x0 = left + group * groupWidth + groupWidth * 0.1
    chart.series.forEach((series, slot) => {
      const value = series.values[group] ?? 0
      const barHeight = (value / max) * plotHeight
      const x = x0 + slot * barWidth
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${(top + plotHeight - barHeight).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${barHeight.toFixed(1)}" fill="${COLORS[slot % COLORS.length]}"><title>${escapeHtml(`${series.name} @ ${label}: ${compact(value)}`)}</title></rect>`,
      )
    })
    parts.push(
      `<text x="${(left + group * groupWidth + groupWidth / 2).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle" font-size="11">${escapeHtml(label)}</text>`,
    )
  })
  chart.series.forEach((series, slot) => {
    parts.push(
      `<rect x="${left + slot * 150}" y="${height - 14}" width="10" height="10" fill="${COLORS[slot % COLORS.length]}"/><text x="${left + slot * 150 + 14}" y="${height - 5}" font-size="11">${escapeHtml(series.name)}</text>`,
    )
  })
  parts.push('</svg>')
  return parts.join('')
}

export function renderReport(input: ReportInput): string {
  const charts = input.charts.map((chart) => `<figure>${barChartSvg(chart, input.labels)}</figure>`).join('\n')
  const header = input.table.header.map((cell) => `<th>${escapeHtml(cell)}</th>`).join('')
  const rows = input.table.rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('\n')
  const notes = input.notes.map((note) => `<li>${escapeHtml(note)}</li>`).join('')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(input.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}figure{display:inline-block;margin:1em}</style>
</head><body>
<h1>${escapeHtml(input.title)}</h1>
<p>Swept parameter: <b>${escapeHtml(input.parameter)}</b></p>
${charts}
<h2>Figures (median of runs, min–max in brackets)</h2>
<table><thead><tr>${header}</tr></thead><tbody>
${rows}
</tbody></table>
<ul>${notes}</ul>
</body></html>
`
}
