import { expect } from 'vitest'
import { SeglogError } from '../../src/errors.js'
import { CorruptIndexError } from '../../src/log/errors.js'

/**
 * The error `promise` rejects with, checked to be a SeglogError (so the test can assert on its
 * `code`, `reason` and `position`); fails the test when the promise resolves.
 */
export async function rejection<E extends SeglogError = SeglogError>(promise: Promise<unknown>): Promise<E> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(SeglogError)
    return error as E
  }
  throw new Error('expected a rejection')
}

/** `call` throws CORRUPT_INDEX naming `file` and the byte `position` of the bad entry. */
export function expectCorruptIndex(call: () => unknown, file: string, position: number): void {
  let caught: unknown
  try {
    call()
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(CorruptIndexError)
  expect((caught as CorruptIndexError).code).toBe('CORRUPT_INDEX')
  expect((caught as CorruptIndexError).file).toBe(file)
  expect((caught as CorruptIndexError).position).toBe(position)
}
