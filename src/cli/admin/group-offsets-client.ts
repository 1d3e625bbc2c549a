import net from 'node:net'
import { kafkaErrorName } from '../../server/error-codes.js'
import { decodeResponse, encodeRequest, type ApiName, type RequestInputOf, type ResponseOf } from '../../server/protocol/index.js'
import { CliError } from '../errors.js'
import type { PartitionOffset, TopicPartition } from './backend.js'

/**
 * The two group-offset requests KafkaJS's admin lacks, sent through seglog's protocol codec.
 *
 * Commits offsets for a group that has no members, the way Kafka's own admin client does it
 * (alterConsumerGroupOffsets): FindCoordinator on the bootstrap server, then one OffsetCommit to
 * the coordinator with generation -1 and no member id, which a broker accepts only while the group
 * is empty. KafkaJS's admin has no such call (its setOffsets joins the group as a consumer and
 * waits for a fetch), so this speaks the two requests itself, through the protocol codec in
 * src/server/protocol/. Versions: FindCoordinator v1 and OffsetCommit v2, which every broker from
 * Kafka 0.11 to 4.x and seglog serve accept, and OffsetDelete v0.
 */
const FIND_COORDINATOR_VERSION = 1
const OFFSET_COMMIT_VERSION = 2
const TIMEOUT_MS = 15_000

export async function commitGroupOffsets(bootstrap: Address, group: string, offsets: readonly PartitionOffset[]): Promise<void> {
  const coordinator = await findCoordinator(bootstrap, group)
  const topics = new Map<string, { partitionIndex: number; committedOffset: number; committedMetadata: string }[]>()
  for (const { topic, partition, offset } of offsets) {
    topics.set(topic, [...(topics.get(topic) ?? []), { partitionIndex: partition, committedOffset: offset, committedMetadata: '' }])
  }
  const response = await withConnection(coordinator, (send) =>
    send('OffsetCommit', OFFSET_COMMIT_VERSION, {
      groupId: group,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      retentionTimeMs: -1,
      topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
    }),
  )
  checkPartitionErrors(`commit`, group, response.topics)
}

/**
 * Kafka's OffsetDelete (v0, Kafka 2.4 and later): forgets the group's offsets of some partitions.
 * The broker refuses partitions of topics the group's members are subscribed to
 * (GROUP_SUBSCRIBED_TO_TOPIC), as kafka-consumer-groups.sh --delete-offsets reports.
 */
export async function deleteGroupOffsets(bootstrap: Address, group: string, partitions: readonly TopicPartition[]): Promise<void> {
  const coordinator = await findCoordinator(bootstrap, group)
  const topics = new Map<string, { partitionIndex: number }[]>()
  for (const { topic, partition } of partitions) topics.set(topic, [...(topics.get(topic) ?? []), { partitionIndex: partition }])
  const response = await withConnection(coordinator, (send) =>
    send('OffsetDelete', 0, { groupId: group, topics: [...topics].map(([name, partitionList]) => ({ name, partitions: partitionList })) }),
  )
  if (response.errorCode !== 0)
    throw new CliError('ADMIN_REQUEST_FAILED', `cannot delete offsets of group '${group}': ${kafkaErrorName(response.errorCode)}`)
  checkPartitionErrors('delete the offset of', group, response.topics)
}

interface Address {
  host: string
  port: number
}

async function findCoordinator(bootstrap: Address, group: string): Promise<Address> {
  const coordinator = await withConnection(bootstrap, (send) =>
    send('FindCoordinator', FIND_COORDINATOR_VERSION, { key: group, keyType: 0 }),
  )
  if (coordinator.errorCode !== 0)
    throw new CliError('ADMIN_REQUEST_FAILED', `cannot find the coordinator of group '${group}': ${kafkaErrorName(coordinator.errorCode)}`)
  return { host: coordinator.host, port: coordinator.port }
}

function checkPartitionErrors(
  what: string,
  group: string,
  topics: readonly { name: string; partitions: readonly { partitionIndex: number; errorCode: number }[] }[],
): void {
  for (const topic of topics) {
    for (const partition of topic.partitions) {
      if (partition.errorCode !== 0)
        throw new CliError(
          'ADMIN_REQUEST_FAILED',
          `cannot ${what} ${topic.name}-${partition.partitionIndex} for group '${group}': ${kafkaErrorName(partition.errorCode)}`,
        )
    }
  }
}

type Send = <N extends ApiName>(apiName: N, apiVersion: number, body: RequestInputOf<N>) => Promise<ResponseOf<N>>

/** One connection for one request: connect, send, read one response frame, close. */
async function withConnection<T>(address: Address, work: (send: Send) => Promise<T>): Promise<T> {
  const socket = net.connect(address)
  socket.setTimeout(TIMEOUT_MS)
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    return await work((apiName, apiVersion, body) => request(socket, apiName, apiVersion, body))
  } catch (error) {
    if (error instanceof CliError) throw error
    throw new CliError('ADMIN_REQUEST_FAILED', `cannot reach ${address.host}:${address.port}: ${(error as Error).message}`)
  } finally {
    socket.destroy()
  }
}

function request<N extends ApiName>(socket: net.Socket, apiName: N, apiVersion: number, body: RequestInputOf<N>): Promise<ResponseOf<N>> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0)
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk])
      if (buffered.length < 4 || buffered.length < 4 + buffered.readInt32BE(0)) return
      cleanup()
      try {
        resolve(decodeResponse(buffered.subarray(4, 4 + buffered.readInt32BE(0)), apiName, apiVersion).body)
      } catch (error) {
        reject(error as Error)
      }
    }
    const onEnd = (): void => {
      cleanup()
      reject(new Error(`the connection closed before the ${apiName} response`))
    }
    const onTimeout = (): void => {
      cleanup()
      reject(new Error(`no ${apiName} response within ${TIMEOUT_MS} ms`))
    }
    const cleanup = (): void => {
      socket.off('data', onData)
      socket.off('close', onEnd)
      socket.off('error', onEnd)
      socket.off('timeout', onTimeout)
    }
    socket.on('data', onData)
    socket.once('close', onEnd)
    socket.once('error', onEnd)
    socket.once('timeout', onTimeout)
    for (const chunk of encodeRequest(apiName, apiVersion, { correlationId: 1, clientId: 'seglog-admin' }, body)) socket.write(chunk)
  })
}
