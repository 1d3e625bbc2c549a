import { describe, expect, it } from 'vitest'
import { locateProblem } from '../../../src/engine/inspect/verify-problem.js'

describe('locateProblem', () => {
  it('takes the position from a message that begins with the file and a byte position', () => {
    expect(locateProblem('/d/a.log', '/d/a.log at byte 61: bad-crc (x)')).toEqual({
      file: '/d/a.log',
      position: 61,
      message: '/d/a.log at byte 61: bad-crc (x)',
    })
  })

  it('leaves the position null when the message is not at a byte of that file', () => {
    expect(locateProblem('/d/a.log', 'cannot read /d/a.log: no such file or directory').position).toBeNull()
    expect(locateProblem('/d/a.log', '/d/b.log at byte 3: bad-crc').position).toBeNull()
  })
})
