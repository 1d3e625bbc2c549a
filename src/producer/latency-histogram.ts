/**
 * Latency percentiles without keeping every sample: log-linear buckets (16 per power of two)
 * from 1 µs up, so any percentile is within about 4 % of the true value and recording is O(1).
 */
const SUB_BUCKETS = 16
const MAX_EXPONENT = 40

export class LatencyHistogram {
  private readonly counts = new Float64Array(MAX_EXPONENT * SUB_BUCKETS)
  private total = 0
  private sum = 0
  private maxValue = 0

  /** Records one latency in milliseconds. */
  record(ms: number): void {
    const micros = Math.max(1, ms * 1000)
    const exponent = Math.min(MAX_EXPONENT - 1, Math.floor(Math.log2(micros)))
    const base = 2 ** exponent
    const sub = Math.min(SUB_BUCKETS - 1, Math.floor(((micros - base) / base) * SUB_BUCKETS))
    this.counts[exponent * SUB_BUCKETS + sub]!++
    this.total++
    this.sum += ms
    if (ms > this.maxValue) this.maxValue = ms
  }

  get count(): number {
    return this.total
  }

  get meanMs(): number {
    return this.total === 0 ? 0 : this.sum / this.total
  }

  get maxMs(): number {
    return this.maxValue
  }

  /** The latency below which `percent` % of samples fall (bucket midpoint), in milliseconds. */
  percentile(percent: number): number {
    if (this.total === 0) return 0
    const rank = Math.ceil((percent / 100) * this.total)
    let seen = 0
    for (let slot = 0; slot < this.counts.length; slot++) {
      seen += this.counts[slot]!
      if (seen >= rank) {
        const exponent = Math.floor(slot / SUB_BUCKETS)
        const base = 2 ** exponent
        const micros = base + ((slot % SUB_BUCKETS) + 0.5) * (base / SUB_BUCKETS)
        return Math.min(micros / 1000, this.maxValue)
      }
    }
    return this.maxValue
  }

  reset(): void {
    this.counts.fill(0)
    this.total = 0
    this.sum = 0
    this.maxValue = 0
  }
}
