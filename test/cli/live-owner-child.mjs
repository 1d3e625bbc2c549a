// Owns a data directory while a test reads it from another process: an engine holding the lock,
// driven by one command per stdin line, answering one line per command on stdout.
//
// Usage: node live-owner-child.mjs '{"dir": "...", "topic": "live", "segmentBytes": 1024}'
//   append N [PREFIX]   appends N records, one batch each, values PREFIX0..; answers "appended END"
//   stream N MS         appends N records, one every MS ms, in the background; answers "streaming"
//   drop OFFSET         deletes the segments below OFFSET (DeleteRecords); answers "dropped START"
//   delete              deletes the topic; answers "deleted"
const { LogEngine } = await import(new URL('../../dist/index.js', import.meta.url).href)
const readline = await import('node:readline')

const { dir, topic, segmentBytes } = JSON.parse(process.argv[2])
const engine = await LogEngine.open({ dir, flush: 'os', onWarning: () => undefined, checkpointIntervalMs: 3_600_000, tickMs: 60_000 })
if (!engine.hasTopic(topic)) await engine.createTopic(topic, { partitions: 1, segmentBytes, retentionMs: -1 })
const log = engine.partition(topic, 0)
let next = log.logEndOffset

async function append(count, prefix) {
  for (let step = 0; step < count; step++) {
    await log.appendRecords([{ key: Buffer.from(`k${next}`), value: Buffer.from(`${prefix}${next}`), timestamp: 1_700_000_000_000 + next }])
    next++
  }
}

process.stdout.write('ready\n')
let queue = Promise.resolve()
for await (const line of readline.createInterface({ input: process.stdin })) {
  const [command, first, second] = line.trim().split(/\s+/)
  queue = queue.then(async () => {
    if (command === 'append') {
      await append(Number(first), second ?? 'v')
      process.stdout.write(`appended ${log.logEndOffset}\n`)
    } else if (command === 'stream') {
      process.stdout.write('streaming\n')
      for (let step = 0; step < Number(first); step++) {
        await append(1, 'v')
        await new Promise((resolve) => setTimeout(resolve, Number(second)))
      }
      process.stdout.write(`streamed ${log.logEndOffset}\n`)
    } else if (command === 'drop') {
      await engine.deleteRecordsBefore(topic, 0, Number(first))
      process.stdout.write(`dropped ${log.logStartOffset}\n`)
    } else if (command === 'delete') {
      await engine.deleteTopic(topic)
      process.stdout.write('deleted\n')
    }
  })
}
await queue
await engine.close()
