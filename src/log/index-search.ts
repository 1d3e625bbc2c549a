/**
 * Pure searches over the in-memory columns of an index. Keys ascend (strictly for the offset
 * index, and for the time index too since it only records a growing maximum).
 */

/** Largest slot whose key <= target, or -1 if every key is larger (or there are none). */
export function floorSlot(keys: ArrayLike<number>, count: number, target: number): number {
  let low = 0
  let high = count - 1
  let found = -1
  while (low <= high) {
    const mid = (low + high) >>> 1
    if ((keys[mid] as number) <= target) {
      found = mid
      low = mid + 1
    } else {
      high = mid - 1
    }
  }
  return found
}

/** Smallest slot whose key >= target, or -1 if every key is smaller. */
export function ceilingSlot(keys: ArrayLike<number>, count: number, target: number): number {
  let low = 0
  let high = count - 1
  let found = -1
  while (low <= high) {
    const mid = (low + high) >>> 1
    if ((keys[mid] as number) >= target) {
      found = mid
      high = mid - 1
    } else {
      low = mid + 1
    }
  }
  return found
}
