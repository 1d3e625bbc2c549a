// Writes the partition of test/cli/damaged-data.ts in a child process that the parent then kills
// with SIGKILL, so the directory is left as a crash leaves it: no clean-shutdown marker, no
// producer snapshot, the recovery point checkpointed by the last flush().
//
// Usage: node partition-writer-child.mjs '{"dir": "...", "records": 320}'
// Prints "ready <logEndOffset>" once every record is appended and flushed, then waits to be killed.
const { LogEngine } = await import(new URL('../../dist/index.js', import.meta.url).href)

const { dir, records } = JSON.parse(process.argv[2])
const engine = await LogEngine.open({ dir, flush: 'os', onWarning: () => undefined, checkpointIntervalMs: 3_600_000, tickMs: 60_000 })
await engine.createTopic('orders', { partitions: 1, segmentBytes: 16384, retentionMs: -1 })
const log = engine.partition('orders', 0)
// Must match recordAt in damaged-data.ts.
for (let offset = 0; offset < records; offset++) {
  await log.appendRecords([
    { key: Buffer.from(`key-${offset}`), value: Buffer.from(`value ${offset} `.padEnd(100, '.')), timestamp: 1_700_000_000_000 + offset },
  ])
}
await engine.flush()
process.stdout.write(`ready ${log.logEndOffset}\n`)
setInterval(() => undefined, 60_000)
