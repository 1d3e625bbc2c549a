// A child process for the consumer.run crash test (consumer-run.crash.test.ts). Plain ESM JavaScript
// importing the BUILT engine (dist/index.js).
//
// Usage: node run-child.mjs '<json config>'. Opens the directory (flush 'os') and runs group 'g'
// over topic 'jobs' with retries (3 attempts, 20 ms backoff). The handler's rule (shared with the
// test): a record `j<i>` fails its first attempt when i % 7 == 0 and every attempt when i % 50 == 0.
// It reports every call on stdout as one JSON line { t: 'call', value, attempt, ok } before
// returning, and { t: 'ready' } once running. The parent SIGKILLs it at a random moment.
const { LogEngine } = await import(new URL('../../dist/index.js', import.meta.url).href)

const cfg = JSON.parse(process.argv[2] ?? '{}')
try {
  const engine = await LogEngine.open({ dir: cfg.dir, flush: 'os', onWarning: () => undefined })
  const consumer = await engine.consumer({ group: 'g', topics: ['jobs'] })
  process.stdout.write(JSON.stringify({ t: 'ready' }) + '\n')
  await consumer.run(
    async (record, { attempt }) => {
      const value = record.value.toString()
      const i = Number(value.slice(1))
      const ok = !(i % 50 === 0 || (i % 7 === 0 && attempt < 2))
      process.stdout.write(JSON.stringify({ t: 'call', value, attempt, ok }) + '\n')
      await new Promise((resolve) => setTimeout(resolve, 1))
      if (!ok) throw new Error(`refused ${value}`)
    },
    { retry: { maxAttempts: 3, backoffMs: 20 } },
  )
} catch (error) {
  process.stdout.write(JSON.stringify({ t: 'fatal', message: String(error?.stack ?? error) }) + '\n')
  process.exit(1)
}
