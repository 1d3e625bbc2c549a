/**
 * One line for a KafkaJS failure. KafkaJS nests what went wrong: a retry error wraps the last
 * attempt's error (`originalError`, `cause`), a topic or group error lists one error per item
 * (`errors`, `groups`, `topicErrors`, `partitions`). This walks those shapes and keeps the innermost messages,
 * which name the Kafka error (UNKNOWN_TOPIC_OR_PARTITION, NON_EMPTY_GROUP, …) or the socket's.
 */
export function describeKafkaError(error: unknown): string {
  const messages = new Set<string>()
  collect(error, messages, 0)
  return [...messages].join('; ') || String(error)
}

interface KafkaJsErrorShape {
  message?: unknown
  type?: unknown
  originalError?: unknown
  cause?: unknown
  errors?: unknown
  groups?: unknown
  topicErrors?: unknown
  partitions?: unknown
  error?: unknown
}

function collect(error: unknown, messages: Set<string>, depth: number): void {
  if (error === null || typeof error !== 'object' || depth > 5) {
    if (error !== undefined && error !== null) messages.add(String(error))
    return
  }
  const shape = error as KafkaJsErrorShape
  const nested: unknown[] = []
  for (const inner of [shape.originalError, shape.cause, shape.error]) if (inner !== undefined && inner !== null) nested.push(inner)
  for (const list of [shape.errors, shape.groups, shape.topicErrors, shape.partitions]) {
    // Per-item lists (DeleteTopicRecords' partitions) hold items that did not fail too.
    if (Array.isArray(list)) nested.push(...(list as unknown[]).filter((item) => !isItemWithoutError(item)))
  }
  if (nested.length > 0) {
    for (const inner of nested) collect(inner, messages, depth + 1)
    return
  }
  const message = typeof shape.message === 'string' ? shape.message : ''
  const type = typeof shape.type === 'string' && !message.includes(shape.type) ? ` (${shape.type})` : ''
  if (message !== '' || type !== '') messages.add(`${message}${type}`)
  else messages.add(String(error))
}

/** `{ partition: 1, error: null }` and the like: a list item that did not fail. */
function isItemWithoutError(item: unknown): boolean {
  return item !== null && typeof item === 'object' && 'error' in item && (item as { error: unknown }).error == null
}
