import { afterEach, describe, expect, it } from 'vitest'
import { encodeBatch, LogEngine } from '../../src/index.js'
import { KafkaErrorCode as K } from '../../src/server/index.js'
import { encodeTxnLogKey, encodeTxnLogValue } from '../../src/server/txn/txn-log-records.js'
import type { TxnMetadata } from '../../src/server/txn/txn-metadata.js'
import { makeTmpDir, removeTmpDirs } from '../helpers/tmp-dir.js'
import { closeAll, connect, startServer, startServerOnDir } from './helpers.js'

/**
 * The transaction coordinator through the protocol, at the flexible versions KafkaJS does not use:
 * epochs and fencing, error codes, CONCURRENT_TRANSACTIONS while an EndTxn completes, and the load
 * of `__transaction_state` at start (prepared transactions finished, expired ones aborted, with
 * the offsets their TxnOffsetCommit left in the offsets log applied or dropped accordingly).
 */

afterEach(async () => {
  await closeAll()
  await removeTmpDirs()
})

function transactionalBatch(producerId: number, producerEpoch: number, baseSequence: number, value: string): Buffer {
  return encodeBatch([{ value: Buffer.from(value) }], { producerId, producerEpoch, baseSequence, isTransactional: true })
}

describe('the transaction APIs at v3', () => {
  it('bump epochs, fence, refuse what a state does not allow and commit', async () => {
    const { server, port } = await startServer()
    await server.engine.createTopic('t')
    const client = await connect(port)
    const init = () => client.request('InitProducerId', 4, { transactionalId: 'p', transactionTimeoutMs: 10_000 })
    const first = await init()
    expect(first).toMatchObject({ errorCode: K.NONE, producerEpoch: 0 })
    const second = await init()
    expect(second).toMatchObject({ errorCode: K.NONE, producerId: first.producerId, producerEpoch: 1 })
    const { producerId } = first
    expect((await client.request('InitProducerId', 4, { transactionalId: 'p', transactionTimeoutMs: 0 })).errorCode).toBe(
      K.INVALID_TRANSACTION_TIMEOUT,
    )

    const add = (epoch: number, topics: { name: string; partitions: number[] }[]) =>
      client.request('AddPartitionsToTxn', 3, {
        v3AndBelowTransactionalId: 'p',
        v3AndBelowProducerId: producerId,
        v3AndBelowProducerEpoch: epoch,
        v3AndBelowTopics: topics,
      })
    const codes = (response: Awaited<ReturnType<typeof add>>) =>
      response.resultsByTopicV3AndBelow.flatMap((topic) => topic.resultsByPartition.map((partition) => partition.partitionErrorCode))
    expect(codes(await add(0, [{ name: 't', partitions: [0] }]))).toEqual([K.PRODUCER_FENCED])
    expect(codes(await add(1, [{ name: 't', partitions: [0, 7] }]))).toEqual([K.OPERATION_NOT_ATTEMPTED, K.UNKNOWN_TOPIC_OR_PARTITION])
    expect(codes(await add(1, [{ name: '__transaction_state', partitions: [0] }]))).toEqual([K.UNKNOWN_TOPIC_OR_PARTITION])

    // A transactional batch to a partition not yet in the transaction is refused.
    const produce = (value: string, sequence: number) =>
      client.request('Produce', 8, {
        transactionalId: 'p',
        acks: -1,
        timeoutMs: 1000,
        topicData: [{ name: 't', partitionData: [{ index: 0, records: transactionalBatch(producerId, 1, sequence, value) }] }],
      })
    expect((await produce('early', 0)).responses[0]!.partitionResponses[0]!.errorCode).toBe(K.INVALID_TXN_STATE)
    expect(codes(await add(1, [{ name: 't', partitions: [0] }]))).toEqual([K.NONE])
    expect((await produce('in', 0)).responses[0]!.partitionResponses[0]!.errorCode).toBe(K.NONE)
    const log = server.engine.partition('t', 0)
    expect(log.lastStableOffset).toBe(0)

    const end = (committed: boolean, epoch = 1) =>
      client.request('EndTxn', 3, { transactionalId: 'p', producerId, producerEpoch: epoch, committed })
    expect((await end(true, 0)).errorCode).toBe(K.PRODUCER_FENCED)
    expect((await end(true)).errorCode).toBe(K.NONE)
    expect(log.lastStableOffset).toBe(log.logEndOffset)
    expect((await end(true)).errorCode).toBe(K.NONE) // a retry of the commit
    expect((await end(false)).errorCode).toBe(K.INVALID_TXN_STATE)
    expect(
      (await client.request('EndTxn', 3, { transactionalId: 'nobody', producerId, producerEpoch: 1, committed: true })).errorCode,
    ).toBe(K.INVALID_PRODUCER_ID_MAPPING)
  })

  it('answers CONCURRENT_TRANSACTIONS to an InitProducerId that arrives while an EndTxn writes its markers', async () => {
    const { server, port } = await startServer({ engineOptions: { flush: 'sync' } })
    await server.engine.createTopic('t', { partitions: 8 })
    const client = await connect(port)
    const other = await connect(port)
    const { producerId, producerEpoch } = await client.request('InitProducerId', 4, { transactionalId: 'p', transactionTimeoutMs: 10_000 })
    await client.request('AddPartitionsToTxn', 3, {
      v3AndBelowTransactionalId: 'p',
      v3AndBelowProducerId: producerId,
      v3AndBelowProducerEpoch: producerEpoch,
      v3AndBelowTopics: [{ name: 't', partitions: [0, 1, 2, 3, 4, 5, 6, 7] }],
    })
    for (let partition = 0; partition < 8; partition++) {
      await client.request('Produce', 8, {
        transactionalId: 'p',
        acks: -1,
        timeoutMs: 1000,
        topicData: [{ name: 't', partitionData: [{ index: partition, records: transactionalBatch(producerId, producerEpoch, 0, 'x') }] }],
      })
    }
    const ending = client.request('EndTxn', 3, { transactionalId: 'p', producerId, producerEpoch, committed: true })
    const racing = other.request('InitProducerId', 4, { transactionalId: 'p', transactionTimeoutMs: 10_000 })
    expect((await racing).errorCode).toBe(K.CONCURRENT_TRANSACTIONS)
    expect((await ending).errorCode).toBe(K.NONE)
    expect(await other.request('InitProducerId', 4, { transactionalId: 'p', transactionTimeoutMs: 10_000 })).toMatchObject({
      errorCode: K.NONE,
      producerId,
      producerEpoch: producerEpoch + 1,
    })
  })
})

describe('loading __transaction_state at start', () => {
  it('finishes prepared transactions, aborts expired ones and keeps the rest open', async () => {
    const dir = await makeTmpDir('seglog-txn-load-')
    const engine = await LogEngine.open({ dir, flush: 'os' })
    await engine.createTopic('t')
    const log = engine.partition('t', 0)
    await engine.createTopic('__transaction_state')
    const stateLog = engine.partition('__transaction_state', 0)
    const nowMs = Date.now()
    const cases: [string, number, TxnMetadata['state'], number][] = [
      ['prepared-commit', 71, 'PrepareCommit', 60_000],
      ['prepared-abort', 72, 'PrepareAbort', 60_000],
      ['expired', 73, 'Ongoing', 1000],
      ['open', 74, 'Ongoing', 600_000],
    ]
    for (const [transactionalId, producerId, state, transactionTimeoutMs] of cases) {
      await log.appendBatch(transactionalBatch(producerId, 3, 0, transactionalId))
      // What TxnOffsetCommit left in the offsets log, waiting for the transaction's marker there.
      await engine.offsets.commitInTransaction(producerId, 3, transactionalId, [{ topic: 't', partition: 0, offset: 1 }])
      const meta: TxnMetadata = {
        transactionalId,
        producerId,
        producerEpoch: 3,
        transactionTimeoutMs,
        state,
        partitions: new Map([['t', new Set([0])]]),
        startTimestampMs: nowMs - 5000,
        lastUpdateTimestampMs: nowMs - 5000,
      }
      await stateLog.appendRecords([{ key: encodeTxnLogKey(transactionalId), value: encodeTxnLogValue(meta) }])
    }
    await engine.close()

    const { server, port } = await startServerOnDir(dir)
    const reopened = server.engine.partition('t', 0)
    expect(reopened.openTransactions().map((txn) => txn.producerId)).toEqual([74])
    expect(reopened.lastStableOffset).toBe(3)
    const committed = []
    for await (const record of reopened.records({ from: 0, isolation: 'read_committed' })) committed.push(record.value!.toString())
    expect(committed).toEqual(['prepared-commit'])
    const groupOffsets = () => cases.map(([transactionalId]) => server.engine.offsets.fetch(transactionalId, 't', 0)?.offset ?? null)
    expect(groupOffsets()).toEqual([1, null, null, null])
    expect(server.engine.offsets.pendingTransactions().map((txn) => txn.producerId)).toEqual([74])
    // Each id kept its producer id; the expired one was fenced by an epoch bump.
    const client = await connect(port)
    const init = (transactionalId: string) => client.request('InitProducerId', 4, { transactionalId, transactionTimeoutMs: 10_000 })
    expect(await init('prepared-commit')).toMatchObject({ errorCode: K.NONE, producerId: 71, producerEpoch: 4 })
    expect(await init('expired')).toMatchObject({ errorCode: K.NONE, producerId: 73, producerEpoch: 5 })
    // The open one is aborted before its id is handed on, fencing the old producer.
    expect(await init('open')).toMatchObject({ errorCode: K.NONE, producerId: 74, producerEpoch: 5 })
    expect(reopened.openTransactions()).toEqual([])
    expect(server.engine.offsets.pendingTransactions()).toEqual([])
    expect(groupOffsets()).toEqual([1, null, null, null])
  })
})
