import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_TIMESTAMP } from '../../src/log/partition-log.js'
import { OffsetIndex } from '../../src/log/offset-index.js'
import { TimeIndex } from '../../src/log/time-index.js'
import { encodeBatch } from '../../src/record/batch-encoder.js'
import { buildPartition, reopenPartition, type BatchSpec } from '../helpers/build-log.js'
import { removeTmpDirs } from '../helpers/tmp-dir.js'

/**
 * The worked examples in docs/format/offset-index.md and docs/format/time-index.md are checked
 * against the files the engine writes for the partition the docs describe, and the lookups the
 * docs walk through against the log's answers.
 */

afterEach(removeTmpDirs)

const OFFSET_DOC = fs.readFileSync(new URL('../../docs/format/offset-index.md', import.meta.url), 'utf8')
const TIME_DOC = fs.readFileSync(new URL('../../docs/format/time-index.md', import.meta.url), 'utf8')

/** The bytes of the "```hex <name>" block: hex digits with spaces, a '#' starts a comment. */
function hexBlock(doc: string, name: string): Buffer {
  const opening = '```hex ' + name + '\n'
  const start = doc.indexOf(opening)
  if (start < 0) throw new Error(`no \`\`\`hex ${name} block`)
  const end = doc.indexOf('\n```', start + opening.length)
  const hex = doc
    .slice(start + opening.length, end)
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').replace(/\s+/g, ''))
    .join('')
  expect(hex).toMatch(/^([0-9a-f]{2})*$/)
  return Buffer.from(hex, 'hex')
}

/** Sizes in an entry-layout table ("| position | size | field | …"), in order. */
function layoutSizes(doc: string): number[] {
  const section = doc.slice(doc.indexOf('## Entry layout'), doc.indexOf('\n## ', doc.indexOf('## Entry layout') + 3))
  return section
    .split('\n')
    .map((line) => /^\|\s*(\d+)\s*\|\s*(\d+)\s*\|/.exec(line))
    .filter((match) => match !== null)
    .map((match) => Number(match[2]))
}

const T = 1_700_000_000_000

/** The partition of the docs' worked example (see the table in docs/format/offset-index.md). */
async function docsPartition() {
  // First segment: one batch of 1,000 records, exactly segmentBytes long, so the next append rolls.
  const filler = encodeBatch(Array.from({ length: 1_000 }, () => ({ value: null, timestamp: T - 1_000 })))
  const built = await buildPartition({ segmentBytes: filler.length, indexIntervalBytes: 200 })
  await built.log.appendBatch(filler)
  const deltas = [[0, 30], [10, 20, 5], [50], [40, 45], [48], [70]]
  let offset = 1_000
  const specs: BatchSpec[] = []
  for (const batch of deltas) {
    specs.push({
      records: batch.map((delta, slot) => ({
        key: Buffer.from(`k${offset + slot}`),
        value: Buffer.alloc(40, 0x61 + ((offset + slot) % 26)),
        timestamp: T + delta,
      })),
    })
    offset += batch.length
  }
  for (const spec of specs) await built.log.appendRecords(spec.records.map((record) => ({ ...record })))
  return built
}

describe('docs/format index examples', () => {
  it('entry-layout tables add up to the entry sizes', () => {
    expect(layoutSizes(OFFSET_DOC)).toEqual([4, 4])
    expect(layoutSizes(OFFSET_DOC).reduce((a, b) => a + b)).toBe(OffsetIndex.ENTRY_SIZE)
    expect(layoutSizes(TIME_DOC)).toEqual([8, 4])
    expect(layoutSizes(TIME_DOC).reduce((a, b) => a + b)).toBe(TimeIndex.ENTRY_SIZE)
  })

  it('the hex examples are the index files the engine writes for the partition described', async () => {
    const { dir, log, config } = await docsPartition()
    expect(log.segmentList.map((segment) => [segment.baseOffset, segment.size])).toEqual([
      [0, log.segmentList[0]!.size],
      [1_000, 886],
    ])
    await log.close()
    const file = (name: string): Buffer => fs.readFileSync(path.join(dir, name))
    expect(file('00000000000000001000.index').toString('hex')).toBe(hexBlock(OFFSET_DOC, 'offset-index-example').toString('hex'))
    expect(file('00000000000000001000.timeindex').toString('hex')).toBe(hexBlock(TIME_DOC, 'time-index-example').toString('hex'))
    expect(file('00000000000000000000.timeindex').toString('hex')).toBe(hexBlock(TIME_DOC, 'time-index-first-segment').toString('hex'))
    expect(file('00000000000000000000.index').length).toBe(0)

    // A rebuild from the log (unclean open) writes the same bytes.
    for (const name of fs.readdirSync(dir).filter((entry) => entry.includes('index'))) fs.rmSync(path.join(dir, name))
    const rebuilt = await reopenPartition(dir, config, false)
    await rebuilt.close()
    expect(file('00000000000000001000.index').equals(hexBlock(OFFSET_DOC, 'offset-index-example'))).toBe(true)
    expect(file('00000000000000001000.timeindex').equals(hexBlock(TIME_DOC, 'time-index-example'))).toBe(true)
    expect(file('00000000000000000000.timeindex').equals(hexBlock(TIME_DOC, 'time-index-first-segment'))).toBe(true)
  })

  it('the lookups the docs walk through give the answers they state', async () => {
    const { log } = await docsPartition()
    const segment = log.segmentList[1]!
    expect(segment.offsetIndex.lookup(1_007)).toEqual({ offset: 1_005, position: 382 })
    expect(segment.offsetIndex.lookup(1_003)).toEqual({ offset: 1_000, position: 0 })
    expect(segment.offsetIndex.lookup(1_009)).toEqual({ offset: 1_008, position: 660 })
    expect((await log.readRaw(1_007)).firstOffset).toBe(1_006)
    expect((await log.readRaw(1_003)).firstOffset).toBe(1_002)
    expect((await log.readRaw(1_009)).firstOffset).toBe(1_009)
    expect(segment.timeIndex.lookup(T + 45)).toEqual({ timestamp: -1, offset: 1_000 })
    expect(segment.timeIndex.lookup(T + 60)).toEqual({ timestamp: T + 50, offset: 1_005 })
    expect(await log.offsetForTimestamp(T + 45)).toEqual({ offset: 1_005, timestamp: T + 50 })
    expect(await log.offsetForTimestamp(T + 60)).toEqual({ offset: 1_009, timestamp: T + 70 })
    expect(await log.offsetForTimestamp(T + 71)).toBeNull()
    expect(await log.offsetForTimestamp(MAX_TIMESTAMP)).toEqual({ offset: 1_009, timestamp: T + 70 })
    await log.close()
  })
})
