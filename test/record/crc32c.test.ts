import { spawnSync } from 'node:child_process'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { crc32c, crc32cImplementation, crc32cJs, NATIVE_MIN_BYTES } from '../../src/record/crc32c.js'
import { REPO_ROOT } from '../helpers/paths.js'

describe('crc32c', () => {
  it('gives the standard check value for "123456789" below and above the native threshold', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283)
    // RFC 3720 B.4: 32 bytes of zeros and of 0xff.
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa)
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43)
  })

  it('uses the native implementation on this platform (the package ships linux-x64)', () => {
    expect(crc32cImplementation).toBe('native')
  })

  it('agrees with the JavaScript implementation at every size around the threshold, for views too', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 3 * NATIVE_MIN_BYTES }), fc.nat(16), (bytes, skip) => {
        const view = bytes.subarray(Math.min(skip, bytes.length))
        expect(crc32c(view)).toBe(crc32cJs(view))
        expect(crc32c(Buffer.from(view))).toBe(crc32cJs(view))
      }),
      { numRuns: 500 },
    )
  })

  it('falls back to JavaScript when told to (SEGLOG_CRC32C=js) and still checks', () => {
    // A fresh process, because the choice is made once at load; tsx runs src/ so no build is needed.
    const script = `import('./src/record/crc32c.ts').then((m) => console.log(m.crc32cImplementation, m.crc32c(Buffer.alloc(4096, 7))))`
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: REPO_ROOT, env: { ...process.env, ...env }, encoding: 'utf8' })
    const js = run({ SEGLOG_CRC32C: 'js' })
    const native = run({})
    expect(js.stdout.trim().split(' ')[0]).toBe('js')
    expect(native.stdout.trim().split(' ')[0]).toBe('native')
    expect(js.stdout.trim().split(' ')[1]).toBe(native.stdout.trim().split(' ')[1])
  })
})
