import { expect } from 'vitest'
import { SeglogError } from '../../src/errors.js'

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
