// A writer process for idempotence.fs.test.ts: appends idempotent batches to partition 0 of a
// topic under flush 'sync', reports each acknowledged append to the parent, then idles until the
// parent kills it with SIGKILL (so the engine never closes and writes no final snapshot).
//
// Usage (forked with an IPC channel, run through tsx): idempotent-writer-child.ts '<json config>'
// Config: { dir, topic, producerId, batches, recordsPerBatch, segmentBytes }
// Messages: { t: 'ack', batch, baseOffset, lastOffset, maxTimestamp } after each append resolved,
//           { t: 'done' } after the last, { t: 'fatal', message } on any failure.
import { pathToFileURL } from 'node:url'
import { LogEngine } from '../../src/engine/log-engine.js'

interface ChildConfig {
  dir: string
  topic: string
  producerId: number
  batches: number
  recordsPerBatch: number
  segmentBytes: number
}

function send(message: object): void {
  process.send?.(message)
}

/** The records of batch `batch`: the parent rebuilds the same ones to retry it. */
export function childRecords(batch: number, recordsPerBatch: number): { key: Buffer; value: Buffer; timestamp: number }[] {
  return Array.from({ length: recordsPerBatch }, (_, slot) => ({
    key: Buffer.from(`k${batch}`),
    value: Buffer.from(`batch ${batch} record ${slot}`),
    timestamp: 1_700_000_000_000 + batch * 1000 + slot,
  }))
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig
  const engine = await LogEngine.open({ dir: config.dir, flush: 'sync', onWarning: () => undefined })
  if (!engine.hasTopic(config.topic)) await engine.createTopic(config.topic, { partitions: 1, segmentBytes: config.segmentBytes })
  const log = engine.partition(config.topic, 0)
  for (let batch = 0; batch < config.batches; batch++) {
    const info = await log.appendRecords(childRecords(batch, config.recordsPerBatch), {
      producerId: config.producerId,
      producerEpoch: 0,
      baseSequence: batch * config.recordsPerBatch,
      compression: 'none',
    })
    send({ t: 'ack', batch, baseOffset: info.baseOffset, lastOffset: info.lastOffset, maxTimestamp: info.maxTimestamp })
  }
  send({ t: 'done' })
  setInterval(() => undefined, 60_000)
}

// Run only as a process of its own; the test imports childRecords from here.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    send({ t: 'fatal', message: String((error as Error)?.stack ?? error) })
    setTimeout(() => process.exit(3), 50)
  })
}
