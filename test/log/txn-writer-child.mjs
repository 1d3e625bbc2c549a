// A transactional writer for transactions.crash.test.ts. Plain ESM importing the BUILT engine
// (dist/). Runs transactions until killed: for each, several transactional appends from one of
// three producers, then a COMMIT or ABORT marker; transactions of different producers interleave.
//
// Usage: node txn-writer-child.mjs '<json {dir, topic, seed, cycle}>'; forked with an IPC channel.
// Messages (each sent only after the engine's promise resolved, except 'appending' and 'marking',
// which are sent, and handed to the pipe, before the write they announce: a SIGKILL can land after
// the write reached the page cache but before its acknowledgement was sent):
//   { t: 'ready' }
//   { t: 'appending', txn, producerId }         transactional records are about to be appended
//   { t: 'sent', txn, producerId, values }      transactional records acknowledged
//   { t: 'marking', txn, producerId, result }   a marker is about to be written
//   { t: 'marked', txn }                        the marker is acknowledged
const { LogEngine } = await import(new URL('../../dist/engine/log-engine.js', import.meta.url).href)
const { seededRandom } = await import(new URL('../../dist/seeded-random.js', import.meta.url).href)

const cfg = JSON.parse(process.argv[2])
const random = seededRandom(cfg.seed)
const engine = await LogEngine.open({ dir: cfg.dir, flush: { mode: 'os' }, onWarning: () => {} })
const log = engine.partition(cfg.topic, 0)

// A producer per slot; a fresh id per cycle so sequences start at 0 (a restarted producer gets a new id).
const producers = [0, 1, 2].map((slot) => ({ producerId: cfg.cycle * 10 + slot, sequence: 0, open: null }))
let txnCounter = 0
/** Sends a message and waits until it is written to the channel, so a kill after it cannot lose it. */
const announce = (message) => new Promise((resolve, reject) => process.send(message, (error) => (error ? reject(error) : resolve())))
process.send({ t: 'ready' })
for (;;) {
  const producer = producers[Math.floor(random() * producers.length)]
  if (producer.open === null) producer.open = { txn: `${cfg.cycle}.${txnCounter++}`, appends: 1 + Math.floor(random() * 4) }
  const { txn } = producer.open
  if (producer.open.appends > 0) {
    producer.open.appends--
    const count = 1 + Math.floor(random() * 3)
    const values = Array.from({ length: count }, (_, slot) => `${txn}/${producer.sequence + slot}`)
    await announce({ t: 'appending', txn, producerId: producer.producerId })
    await log.appendRecords(
      values.map((value) => ({ value: Buffer.from(value) })),
      { producerId: producer.producerId, producerEpoch: 0, baseSequence: producer.sequence, isTransactional: true },
    )
    producer.sequence += count
    process.send({ t: 'sent', txn, producerId: producer.producerId, values })
  } else {
    const result = random() < 0.5 ? 'commit' : 'abort'
    await announce({ t: 'marking', txn, producerId: producer.producerId, result })
    await log.writeTxnMarker(producer.producerId, 0, result, cfg.cycle)
    process.send({ t: 'marked', txn })
    producer.open = null
  }
  if (random() < 0.05) await new Promise((resolve) => setTimeout(resolve, 1))
}
