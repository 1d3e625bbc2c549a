import type { Assignment, ConsumerRecord } from './partition-assignment.js'

/** What the per-record iterator reads from: the consumer's records read ahead, and whether it closed. */
export interface RecordSource {
  isClosed(): boolean
  /** Waits until some partition has records: the partition, its buffer and the first not handed out. */
  nextRecords(): Promise<[Assignment, ConsumerRecord[], number] | null>
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined })

/**
 * The consumer's records one at a time. A class with a plain `next` rather than an async function
 * or generator: with records already read ahead, `next()` is one resolved promise; an async
 * function would also allocate its own frame and register file on every call (measured: over 300
 * bytes per record, most of the iterator's garbage), and this runs once per record.
 */
export class ConsumerRecordIterator implements AsyncIterator<ConsumerRecord> {
  private assignment: Assignment | null = null
  private list: ConsumerRecord[] = []
  private index = 0

  constructor(private readonly source: RecordSource) {}

  next(): Promise<IteratorResult<ConsumerRecord>> {
    const assignment = this.assignment
    // A seek replaces the partition's buffer: what was read ahead then no longer applies.
    if (assignment === null || this.index >= this.list.length || assignment.buffer !== this.list) return this.refill()
    if (this.source.isClosed()) return Promise.resolve(DONE)
    return Promise.resolve(this.take(assignment))
  }

  private async refill(): Promise<IteratorResult<ConsumerRecord>> {
    while (this.assignment === null || this.index >= this.list.length || this.assignment.buffer !== this.list) {
      if (this.source.isClosed()) return DONE
      const records = await this.source.nextRecords()
      if (records === null) return DONE
      ;[this.assignment, this.list, this.index] = records
    }
    if (this.source.isClosed()) return DONE
    return this.take(this.assignment)
  }

  /**
   * Hands out the next record. The position moves as each record is handed out, so commit() right
   * after processing a record commits exactly up to it.
   */
  private take(assignment: Assignment): IteratorResult<ConsumerRecord> {
    const record = this.list[this.index++]!
    assignment.next = this.index
    assignment.position = record.offset + 1
    return { done: false, value: record }
  }
}
