/**
 * The topics in a consumer's subscription: the start of the metadata Kafka consumers send with
 * protocol type "consumer" (ConsumerProtocolSubscription, every version):
 *
 * | bytes | field |
 * |---|---|
 * | 2 | version (int16) |
 * | 4 | topic count (int32) |
 * | 2 + n, each | topic name (int16 length, UTF-8) |
 * | … | user data, owned partitions, rack (not read here) |
 *
 * Returns null when the bytes do not hold that much: the caller then assumes every topic.
 */
export function subscribedTopics(metadata: Buffer): string[] | null {
  const VERSION_SIZE = 2
  const COUNT_SIZE = 4
  if (metadata.length < VERSION_SIZE + COUNT_SIZE) return null
  const count = metadata.readInt32BE(VERSION_SIZE)
  if (count < 0 || count > metadata.length) return null
  const topics: string[] = []
  let position = VERSION_SIZE + COUNT_SIZE
  for (let slot = 0; slot < count; slot++) {
    if (position + 2 > metadata.length) return null
    const length = metadata.readInt16BE(position)
    position += 2
    if (length < 0 || position + length > metadata.length) return null
    topics.push(metadata.toString('utf8', position, position + length))
    position += length
  }
  return topics
}
