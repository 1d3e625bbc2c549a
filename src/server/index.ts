/**
 * The Kafka-protocol server (`seglog serve`): Kafka clients and tools produce to a seglog engine,
 * fetch from it and administer its topics. docs/server.md describes what it serves. Embedders
 * call `createKafkaServer` from src/index.ts; this module is for the CLI and the tests.
 */
export { createKafkaServer } from './kafka-server.js'
export { DEFAULT_SETTINGS, resolveSettings } from './settings.js'
export { KafkaErrorCode, kafkaErrorName, type KafkaErrorName } from './error-codes.js'
export { servedApis } from './api-table.js'
