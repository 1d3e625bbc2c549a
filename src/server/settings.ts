import { InvalidArgumentError, type KafkaServerSettings } from '../index.js'

/**
 * Defaults and checks for the server's own settings (KafkaServerSettings in src/index.ts, with
 * Kafka's broker config names beside them); src/server/properties.ts reads them from a
 * server.properties file.
 */
export const DEFAULT_SETTINGS: Readonly<KafkaServerSettings> = Object.freeze({
  host: '127.0.0.1',
  port: 9092,
  advertisedHost: null,
  advertisedPort: null,
  nodeId: 0,
  clusterId: null,
  autoCreateTopics: true,
  defaultPartitions: 1,
  maxRequestBytes: 100 * 1024 * 1024,
  idleTimeoutMs: 10 * 60 * 1000,
  fetchMaxBytes: 55 * 1024 * 1024,
  maxUnsentBytes: 16 * 1024 * 1024,
  maxInFlightRequests: 32,
  shutdownTimeoutMs: 5000,
  groupInitialRebalanceDelayMs: 3000,
  groupMinSessionTimeoutMs: 6000,
  groupMaxSessionTimeoutMs: 1_800_000,
})

const INTEGER_LIMITS: { readonly [K in keyof KafkaServerSettings]?: readonly [number, number] } = {
  port: [0, 65535],
  advertisedPort: [1, 65535],
  nodeId: [0, 0x7fffffff],
  defaultPartitions: [1, 100_000],
  maxRequestBytes: [64, 0x7fffffff],
  idleTimeoutMs: [1, 0x7fffffff],
  fetchMaxBytes: [1, 0x7fffffff],
  maxUnsentBytes: [1, Number.MAX_SAFE_INTEGER],
  maxInFlightRequests: [1, 100_000],
  shutdownTimeoutMs: [0, 0x7fffffff],
  groupInitialRebalanceDelayMs: [0, 0x7fffffff],
  groupMinSessionTimeoutMs: [1, 0x7fffffff],
  groupMaxSessionTimeoutMs: [1, 0x7fffffff],
}

/** Fills defaults and rejects out-of-range values with InvalidArgumentError. */
export function resolveSettings(input: Partial<KafkaServerSettings>): KafkaServerSettings {
  const settings: KafkaServerSettings = { ...DEFAULT_SETTINGS }
  for (const [key, value] of Object.entries(input) as [keyof KafkaServerSettings, unknown][]) {
    if (value === undefined) continue
    if (!(key in DEFAULT_SETTINGS)) throw new InvalidArgumentError(`unknown server setting '${key}'`)
    const limits = INTEGER_LIMITS[key]
    if (limits !== undefined && value !== null) {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < limits[0] || value > limits[1]) {
        throw new InvalidArgumentError(`server setting ${key} must be an integer in [${limits[0]}, ${limits[1]}], got ${String(value)}`)
      }
    }
    if (
      (key === 'host' || key === 'advertisedHost' || key === 'clusterId') &&
      value !== null &&
      (typeof value !== 'string' || value === '')
    ) {
      throw new InvalidArgumentError(`server setting ${key} must be a non-empty string, got ${JSON.stringify(value)}`)
    }
    if (key === 'autoCreateTopics' && typeof value !== 'boolean')
      throw new InvalidArgumentError(`server setting autoCreateTopics must be true or false, got ${String(value)}`)
    ;(settings as unknown as Record<string, unknown>)[key] = value
  }
  if (settings.groupMinSessionTimeoutMs > settings.groupMaxSessionTimeoutMs) {
    throw new InvalidArgumentError(
      `server setting groupMinSessionTimeoutMs (${settings.groupMinSessionTimeoutMs}) is above groupMaxSessionTimeoutMs (${settings.groupMaxSessionTimeoutMs})`,
    )
  }
  return settings
}
