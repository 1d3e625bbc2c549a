import { CorruptRecordError } from '../record/errors.js'
import { FieldReader } from './coordinator-fields.js'

/**
 * The consumer protocol's embedded bytes, as a group-metadata record of protocol type "consumer"
 * stores them per member (Kafka's ConsumerProtocolSubscription and ConsumerProtocolAssignment,
 * versions 0-3, never flexible). Read for `seglog dump --offsets-decoder`, which prints them
 * decoded as Kafka's tool does, and for the topics a live group is subscribed to.
 *
 * Subscription:
 * | field           | type                                   | versions |
 * |-----------------|----------------------------------------|----------|
 * | version         | int16                                  | 0-3      |
 * | topics          | array of string                        | 0-3      |
 * | userData        | nullable bytes                         | 0-3      |
 * | ownedPartitions | array of { topic string, partitions array of int32 } | 1-3 |
 * | generationId    | int32                                  | 2-3      | -1 when absent
 * | rackId          | nullable string                        | 3        |
 *
 * Assignment (versions 0-3, one layout):
 * | field              | type                                                 |
 * |--------------------|------------------------------------------------------|
 * | version            | int16                                                |
 * | assignedPartitions | array of { topic string, partitions array of int32 } |
 * | userData           | nullable bytes                                       |
 *
 * Bytes after the last field are ignored. Pure; the readers return null for bytes that are not
 * such a structure (the caller then shows them raw).
 */
export const CONSUMER_PROTOCOL_MAX_VERSION = 3

export interface TopicPartitions {
  topic: string
  partitions: number[]
}

export interface ConsumerSubscription {
  version: number
  topics: string[]
  userData: Buffer | null
  /** Versions 1+ only (null before). */
  ownedPartitions: TopicPartitions[] | null
  /** Versions 2+ only (null before). */
  generationId: number | null
  /** Version 3 only (undefined before); null when the member has no rack. */
  rackId: string | null | undefined
}

export interface ConsumerAssignment {
  version: number
  assignedPartitions: TopicPartitions[]
  userData: Buffer | null
}

function readTopicPartitions(reader: FieldReader): TopicPartitions[] {
  const count = reader.arrayCount()
  const list: TopicPartitions[] = []
  for (let slot = 0; slot < count; slot++) {
    const topic = reader.string()
    const partitionCount = reader.arrayCount()
    const partitions: number[] = []
    for (let each = 0; each < partitionCount; each++) partitions.push(reader.int32())
    list.push({ topic, partitions })
  }
  return list
}

export function decodeConsumerSubscription(buf: Buffer): ConsumerSubscription | null {
  try {
    const reader = new FieldReader(buf, false, 'consumer subscription')
    const version = reader.int16()
    if (version < 0 || version > CONSUMER_PROTOCOL_MAX_VERSION) return null
    const count = reader.arrayCount()
    const topics: string[] = []
    for (let slot = 0; slot < count; slot++) topics.push(reader.string())
    const userData = reader.nullableBytes()
    const ownedPartitions = version >= 1 ? readTopicPartitions(reader) : null
    const generationId = version >= 2 ? reader.int32() : null
    const rackId = version >= 3 ? reader.nullableString() : undefined
    return { version, topics, userData, ownedPartitions, generationId, rackId }
  } catch (error) {
    if (error instanceof CorruptRecordError) return null
    throw error
  }
}

export function decodeConsumerAssignment(buf: Buffer): ConsumerAssignment | null {
  try {
    const reader = new FieldReader(buf, false, 'consumer assignment')
    const version = reader.int16()
    if (version < 0 || version > CONSUMER_PROTOCOL_MAX_VERSION) return null
    const assignedPartitions = readTopicPartitions(reader)
    const userData = reader.nullableBytes()
    return { version, assignedPartitions, userData }
  } catch (error) {
    if (error instanceof CorruptRecordError) return null
    throw error
  }
}
