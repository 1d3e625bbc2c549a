import { describe, expect, it } from 'vitest'
import { fitTable, formatTable, shortenText, wrapText, type Column } from '../../src/cli/table.js'

const columns: Column[] = [
  { header: 'NAME', shorten: 'middle' },
  { header: 'COUNT', isNumeric: true },
  { header: 'DETAIL', dropOrder: 1 },
  { header: 'SIZE', isNumeric: true, dropOrder: 2 },
  { header: 'NOTE', wraps: true },
]
const rows = [
  [
    'orders-' + 'x'.repeat(60) + '-3',
    '12',
    'a detail nobody needs at 80 columns',
    '4096',
    'a note that is long enough to need wrapping somewhere',
  ],
  ['small-0', '3', '-', '10', 'short'],
]

function width(line: string): number {
  return [...line].length
}

describe('fitTable', () => {
  it('is formatTable when the table fits', () => {
    const narrow = [['a', '1', 'b', '2', 'c']]
    expect(fitTable(columns, narrow, '  ', 80)).toEqual({ lines: formatTable(columns, narrow, '  '), hidden: [], isShortened: false })
    expect(fitTable(columns, rows, '  ', Infinity).lines).toEqual(formatTable(columns, rows, '  '))
  })

  it('shortens names (keeping their ends), wraps the last column and leaves out columns lowest dropOrder first', () => {
    const fitted = fitTable(columns, rows, '  ', 70)
    for (const line of fitted.lines) expect(width(line), line).toBeLessThanOrEqual(70)
    expect(fitted.hidden).toEqual(['DETAIL'])
    expect(fitted.isShortened).toBe(true)
    expect(fitted.lines[0]!.trim().split(/ {2,}/)).toEqual(['NAME', 'COUNT', 'SIZE', 'NOTE'])
    const [name, count, size] = fitted.lines[1]!.trim().split(/\s+/)
    expect(name).toMatch(/^orders-x+…x+-3$/)
    expect([count, size]).toEqual(['12', '4096'])
    // The note continues on lines of its own, under its column.
    const noteColumn = fitted.lines[0]!.indexOf('NOTE')
    const continuation = fitted.lines.slice(2).filter((line) => !line.includes('small-0'))
    expect(continuation.length).toBeGreaterThan(0)
    for (const line of continuation) expect(line.slice(0, noteColumn).trim()).toBe('')
    expect([fitted.lines[1]!.slice(noteColumn), ...continuation.map((line) => line.slice(noteColumn))].join(' ')).toBe(rows[0]![4])
  })

  it('puts back a narrow column left out before a wide one, once the wide one is out', () => {
    const table: Column[] = [{ header: 'KEEP' }, { header: 'NARROW', dropOrder: 1 }, { header: 'WIDE', dropOrder: 2 }]
    const fitted = fitTable(table, [['k'.repeat(10), 'n', 'w'.repeat(40)]], '', 40)
    expect(fitted.hidden).toEqual(['WIDE'])
    expect(fitted.lines).toEqual(['KEEP        NARROW', `${'k'.repeat(10)}  n`])
  })

  it('never shortens numbers, and prints as narrow as it gets when nothing else can go', () => {
    const numbers: Column[] = [
      { header: 'N', isNumeric: true, shorten: 'end' },
      { header: 'M', isNumeric: true },
    ]
    const fitted = fitTable(numbers, [['12345678901234567890', '98765432109876543210']], '', 20)
    expect(fitted.lines[1]).toBe('12345678901234567890  98765432109876543210')
    expect(fitted.hidden).toEqual([])
  })
})

describe('shortenText and wrapText', () => {
  it('shortens to exactly the width with one ellipsis', () => {
    expect(shortenText('abcdefghij', 10, 'middle')).toBe('abcdefghij')
    expect(shortenText('abcdefghijk', 6, 'middle')).toBe('abc…jk')
    expect(shortenText('abcdefghijk', 6, 'end')).toBe('abcde…')
    expect(width(shortenText('x'.repeat(300), 17, 'middle'))).toBe(17)
  })

  it('wraps at spaces and cuts a word longer than the width', () => {
    expect(wrapText('one two three four', 9)).toEqual(['one two', 'three', 'four'])
    expect(wrapText('abcdefghijkl xy', 5)).toEqual(['abcde', 'fghij', 'kl xy'])
    expect(wrapText('', 5)).toEqual([''])
  })
})
