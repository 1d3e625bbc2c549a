import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Bench } from 'tinybench'
import { floorSlot } from '../../src/log/index-search.js'
import { OffsetIndex } from '../../src/log/offset-index.js'
import { TimeIndex } from '../../src/log/time-index.js'
import { murmur2, partitionForKey, StickyPartitioner } from '../../src/producer/partitioner.js'

/**
 * Index lookups (the pure floor search over an Int32Array column, and OffsetIndex/TimeIndex
 * lookups with 1,310,720 and 873,813 entries: a full 10 MiB index) and the partitioner (murmur2 of
 * 16-byte keys, the sticky choice for keyless records). Lookups per op are batched by 1000 so
 * the timer's own cost does not dominate.
 */
const TIME_MS = Number(process.env.SEGLOG_BENCH_MS ?? 1000)
const LOOKUPS_PER_OP = 1000

export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-index-bench-'))
  try {
    const maxIndexBytes = 10 * 1024 * 1024
    const offsetIndex = new OffsetIndex(path.join(dir, 'a.index'), 0, maxIndexBytes, true)
    const timeIndex = new TimeIndex(path.join(dir, 'a.timeindex'), 0, maxIndexBytes, true)
    const offsetEntries = offsetIndex.maxEntries
    for (let slot = 0; slot < offsetEntries; slot++) offsetIndex.append(slot * 7 + 3, slot * 1024 + 1)
    const timeEntries = timeIndex.maxEntries - 1
    for (let slot = 0; slot < timeEntries; slot++) timeIndex.maybeAppend(1_700_000_000_000 + slot * 10, slot * 7 + 3)
    const column = new Int32Array(offsetEntries)
    for (let slot = 0; slot < offsetEntries; slot++) column[slot] = slot * 7 + 3
    const targets = new Int32Array(LOOKUPS_PER_OP)
    let seed = 12345
    for (let slot = 0; slot < LOOKUPS_PER_OP; slot++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      targets[slot] = seed % (offsetEntries * 7)
    }
    const keys = Array.from({ length: LOOKUPS_PER_OP }, (_, slot) => Buffer.from(`customer-${String(slot).padStart(7, '0')}`))
    const sticky = new StickyPartitioner(() => 0.5)
    let sink = 0

    const bench = new Bench({ time: TIME_MS, warmup: true })
    bench.add(`floorSlot x ${LOOKUPS_PER_OP} (${offsetEntries} entries)`, () => {
      for (let slot = 0; slot < LOOKUPS_PER_OP; slot++) sink += floorSlot(column, offsetEntries, targets[slot]!)
    })
    bench.add(`OffsetIndex.lookup x ${LOOKUPS_PER_OP}`, () => {
      for (let slot = 0; slot < LOOKUPS_PER_OP; slot++) sink += offsetIndex.lookup(targets[slot]!).position
    })
    bench.add(`TimeIndex.lookup x ${LOOKUPS_PER_OP}`, () => {
      for (let slot = 0; slot < LOOKUPS_PER_OP; slot++) sink += timeIndex.lookup(1_700_000_000_000 + targets[slot]!).offset
    })
    bench.add(`murmur2 16-byte keys x ${LOOKUPS_PER_OP}`, () => {
      for (let slot = 0; slot < LOOKUPS_PER_OP; slot++) sink += murmur2(keys[slot]!)
    })
    bench.add(`partitionForKey (12 partitions) x ${LOOKUPS_PER_OP}`, () => {
      for (let slot = 0; slot < LOOKUPS_PER_OP; slot++) sink += partitionForKey(keys[slot]!, 12)
    })
    bench.add(`sticky partition x ${LOOKUPS_PER_OP}`, () => {
      for (let slot = 0; slot < LOOKUPS_PER_OP; slot++) sink += sticky.partition(120, 12, 16384)
    })
    await bench.run()
    console.table(
      bench.tasks.map((task) => {
        const result = task.result
        if (result.state !== 'completed') return { case: task.name, 'ops/s': result.state, 'lookups/s': '', 'ns/lookup': '' }
        const perSecond = result.throughput.mean * LOOKUPS_PER_OP
        return {
          case: task.name,
          'ops/s': Math.round(result.throughput.mean).toLocaleString('en-US'),
          'lookups/s': Math.round(perSecond).toLocaleString('en-US'),
          'ns/lookup': (1e9 / perSecond).toFixed(1),
        }
      }),
    )
    if (sink === 0.5) console.log(sink)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
