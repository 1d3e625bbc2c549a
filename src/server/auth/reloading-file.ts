import fs from 'node:fs/promises'

/**
 * A file the operator edits while the server runs (the users file, the ACL file), parsed once and
 * parsed again when its size or modification time changes, checked at most every `checkEveryMs`.
 * A file that stops parsing keeps the last good contents in force and is logged once per change, so
 * a half-edited file never opens the server up or locks everyone out.
 */
export class ReloadingFile<T> {
  private value: T
  private signature: string
  private checkedAtMs: number
  private checking: Promise<void> | null = null

  private constructor(
    readonly file: string,
    private readonly parse: (text: string, file: string) => T,
    private readonly log: (message: string) => void,
    private readonly checkEveryMs: number,
    initial: { value: T; signature: string },
  ) {
    this.value = initial.value
    this.signature = initial.signature
    this.checkedAtMs = Date.now()
  }

  /** Reads and parses the file now; a parse error rejects (the server refuses to start on a bad file). */
  static async open<T>(
    file: string,
    parse: (text: string, file: string) => T,
    log: (message: string) => void,
    checkEveryMs = 1000,
  ): Promise<ReloadingFile<T>> {
    const { text, signature } = await readWithSignature(file)
    return new ReloadingFile(file, parse, log, checkEveryMs, { value: parse(text, file), signature })
  }

  /** The contents in force; starts a background check when the last one is older than checkEveryMs. */
  current(): T {
    if (this.checking === null && Date.now() - this.checkedAtMs >= this.checkEveryMs) this.checking = this.check()
    return this.value
  }

  /** Waits for a check of the file, then returns the contents in force (for authentication, which is async anyway). */
  async fresh(): Promise<T> {
    this.current()
    if (this.checking !== null) await this.checking
    return this.value
  }

  private async check(): Promise<void> {
    try {
      const stats = await fs.stat(this.file)
      const signature = `${stats.size}:${stats.mtimeMs}:${stats.ino}`
      if (signature === this.signature) return
      const { text, signature: read } = await readWithSignature(this.file)
      this.signature = read
      this.value = this.parse(text, this.file)
      this.log(`reloaded ${this.file}`)
    } catch (error) {
      this.log(`keeping the previous contents of ${this.file}: ${(error as Error).message}`)
    } finally {
      this.checkedAtMs = Date.now()
      this.checking = null
    }
  }
}

async function readWithSignature(file: string): Promise<{ text: string; signature: string }> {
  const handle = await fs.open(file, 'r')
  try {
    const stats = await handle.stat()
    return { text: await handle.readFile('utf8'), signature: `${stats.size}:${stats.mtimeMs}:${stats.ino}` }
  } finally {
    await handle.close()
  }
}
