import { randomInt } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {
  formatTransactionalIds,
  parseTransactionalIds,
  TRANSACTIONAL_IDS_FILE,
  type TransactionalIdEntry,
} from '../format/transactional-ids.js'
import { writeFileAtomicSync } from '../log/atomic-file.js'
import { TransactionalProducer, type TransactionalProducerOptions } from '../producer/transactional-producer.js'
import type { LogEngine } from './log-engine.js'

/** The largest producer epoch (int16); past it a transactional id gets a new producer id at epoch 0, as in Kafka. */
const MAX_PRODUCER_EPOCH = 0x7fff

/**
 * The transactional ids of one data directory and the producer id and epoch each was last given,
 * in `transactional-ids.json` (src/format/transactional-ids.ts), written before an id is handed out.
 */
export class TransactionalIds {
  private readonly file: string
  private readonly ids: Map<string, TransactionalIdEntry>

  constructor(dir: string) {
    this.file = path.join(dir, TRANSACTIONAL_IDS_FILE)
    this.ids = fs.existsSync(this.file) ? parseTransactionalIds(fs.readFileSync(this.file, 'utf8'), this.file) : new Map()
  }

  /** Kafka's InitProducerId for a transactional id: same producer id, next epoch (fencing the older holder). */
  initProducerId(transactionalId: string): TransactionalIdEntry {
    const current = this.ids.get(transactionalId)
    const next =
      current === undefined || current.producerEpoch >= MAX_PRODUCER_EPOCH
        ? { producerId: randomInt(2 ** 47), producerEpoch: 0 }
        : { producerId: current.producerId, producerEpoch: current.producerEpoch + 1 }
    this.ids.set(transactionalId, next)
    writeFileAtomicSync(this.file, formatTransactionalIds(this.ids))
    return { ...next }
  }

  /** Records (durably) that the id's current transaction is committing, or that its commit is done. */
  setCommitting(transactionalId: string, isCommitting: boolean): void {
    const entry = this.ids.get(transactionalId)
    if (entry === undefined) return
    if (isCommitting) entry.committing = true
    else delete entry.committing
    writeFileAtomicSync(this.file, formatTransactionalIds(this.ids))
  }

  current(transactionalId: string): TransactionalIdEntry | undefined {
    const entry = this.ids.get(transactionalId)
    return entry === undefined ? undefined : { ...entry }
  }
}

const registries = new WeakMap<LogEngine, TransactionalIds>()

/**
 * A transactional producer on `engine` (see TransactionalProducer): takes the transactional id,
 * fencing any earlier producer with it, and aborts the transaction an earlier one left open.
 */
export function openTransactionalProducer(engine: LogEngine, options: TransactionalProducerOptions): Promise<TransactionalProducer> {
  let ids = registries.get(engine)
  if (ids === undefined) {
    ids = new TransactionalIds(engine.dir)
    registries.set(engine, ids)
  }
  const registry = ids
  return TransactionalProducer.init(
    {
      resolveTopic: (topic) => engine.partitions(topic),
      allPartitions: () => engine.listTopics().flatMap((topic) => engine.partitions(topic.name)),
      initProducerId: (id) => registry.initProducerId(id),
      currentIdentity: (id) => registry.current(id),
      setCommitting: (id, isCommitting) => registry.setCommitting(id, isCommitting),
      offsets: engine.offsets,
    },
    options,
  )
}
