import fs from 'node:fs'

/**
 * The log layer's one way to the disk. Everything in `log/` that opens, reads, writes, syncs,
 * renames or removes a file goes through a `LogFileSystem` and the `SegmentFile`s it opens, so a
 * test can wrap the real one (`nodeFileSystem`, the default everywhere) to fail or hold the Nth
 * call, or to count them, without patching `node:fs`.
 *
 * Each method is one system call and fails the way `node:fs` does (a raw error carrying its errno
 * `code`); the log wraps it once, in IoError, with the operation and file. Loops over short reads
 * and writes sit above this interface (file-io.ts), so a wrapper sees every call the kernel would.
 */

/** How a file is opened. */
export type OpenMode =
  /** read only */
  | 'read'
  /** read and write an existing file */
  | 'update'
  /** read and write a new file, failing if it exists */
  | 'create-new'
  /** write, creating the file or emptying it */
  | 'replace'
  /** write anywhere, creating the file if it is missing, keeping its bytes if not */
  | 'create-or-update'

/** What the log reads of a file's metadata (a `fs.Stats` is one). */
export interface FileStats {
  readonly size: number
  readonly mtimeMs: number
  isFile(): boolean
  isDirectory(): boolean
}

/** One open file (or directory, opened with 'read' to fsync it). */
export interface SegmentFile {
  /** One pread through the thread pool: the bytes read, 0 at the end of the file. */
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>
  readSync(buffer: Buffer, offset: number, length: number, position: number): number
  /** One pwritev: the bytes written (possibly fewer than given). */
  writev(buffers: Buffer[], position: number): Promise<number>
  /** One pwritev on the calling thread; optional: without it every write takes `writev`. */
  writevSync?(buffers: Buffer[], position: number): number
  writeSync(buffer: Buffer, offset: number, length: number, position: number): number
  truncateSync(size: number): void
  datasync(): Promise<void>
  datasyncSync(): void
  /** A full fsync (metadata too): for directories and files that replace others. */
  sync(): Promise<void>
  syncSync(): void
  statSync(): FileStats
  closeSync(): void
}

export interface LogFileSystem {
  openSync(file: string, mode: OpenMode): SegmentFile
  readdirSync(dir: string): string[]
  existsSync(file: string): boolean
  renameSync(from: string, to: string): void
  /** Removes a file; a file that is not there is no error. */
  unlinkSync(file: string): void
  /** Creates a directory and its missing parents. */
  mkdirSync(dir: string): void
  readFileSync(file: string): Buffer
  /**
   * Size and modification time of a file by its path, without opening it (a partition opens its
   * closed segments this way). Optional: without it the file is opened, fstat'ed and closed.
   */
  statSync?(file: string): FileStats
  /** `renameSync` through the thread pool. Optional: without it the rename is synchronous. */
  rename?(from: string, to: string): Promise<void>
  /** `openSync` through the thread pool. Optional: without it the file opens synchronously. */
  open?(file: string, mode: OpenMode): Promise<SegmentFile>
  /** `readdirSync` through the thread pool. Optional: without it directories are listed synchronously. */
  readdir?(dir: string): Promise<string[]>
}

const OPEN_FLAGS: Record<OpenMode, string | number> = {
  read: 'r',
  update: 'r+',
  'create-new': 'wx+',
  replace: 'w',
  'create-or-update': fs.constants.O_RDWR | fs.constants.O_CREAT,
}

/** A descriptor of the real file system. */
class NodeSegmentFile implements SegmentFile {
  readonly fd: number

  constructor(fd: number) {
    this.fd = fd
  }

  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return new Promise((resolve, reject) => {
      fs.read(this.fd, buffer, offset, length, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead)))
    })
  }

  readSync(buffer: Buffer, offset: number, length: number, position: number): number {
    return fs.readSync(this.fd, buffer, offset, length, position)
  }

  writev(buffers: Buffer[], position: number): Promise<number> {
    return new Promise((resolve, reject) => {
      fs.writev(this.fd, buffers, position, (error, bytesWritten) => (error ? reject(error) : resolve(bytesWritten)))
    })
  }

  writevSync(buffers: Buffer[], position: number): number {
    return fs.writevSync(this.fd, buffers, position)
  }

  writeSync(buffer: Buffer, offset: number, length: number, position: number): number {
    return fs.writeSync(this.fd, buffer, offset, length, position)
  }

  truncateSync(size: number): void {
    fs.ftruncateSync(this.fd, size)
  }

  datasync(): Promise<void> {
    return new Promise((resolve, reject) => {
      fs.fdatasync(this.fd, (error) => (error ? reject(error) : resolve()))
    })
  }

  datasyncSync(): void {
    fs.fdatasyncSync(this.fd)
  }

  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      fs.fsync(this.fd, (error) => (error ? reject(error) : resolve()))
    })
  }

  syncSync(): void {
    fs.fsyncSync(this.fd)
  }

  statSync(): FileStats {
    return fs.fstatSync(this.fd)
  }

  closeSync(): void {
    fs.closeSync(this.fd)
  }
}

/** The real file system, through `node:fs`. */
export const nodeFileSystem: LogFileSystem = Object.freeze({
  openSync: (file: string, mode: OpenMode): SegmentFile => new NodeSegmentFile(fs.openSync(file, OPEN_FLAGS[mode], 0o644)),
  readdirSync: (dir: string): string[] => fs.readdirSync(dir),
  existsSync: (file: string): boolean => fs.existsSync(file),
  renameSync: (from: string, to: string): void => fs.renameSync(from, to),
  unlinkSync: (file: string): void => fs.rmSync(file, { force: true }),
  mkdirSync: (dir: string): void => {
    fs.mkdirSync(dir, { recursive: true })
  },
  readFileSync: (file: string): Buffer => fs.readFileSync(file),
  statSync: (file: string): FileStats => fs.statSync(file),
  rename: (from: string, to: string): Promise<void> => fs.promises.rename(from, to),
  readdir: (dir: string): Promise<string[]> => fs.promises.readdir(dir),
  open: (file: string, mode: OpenMode): Promise<SegmentFile> =>
    new Promise((resolve, reject) => {
      fs.open(file, OPEN_FLAGS[mode], 0o644, (error, fd) => (error ? reject(error) : resolve(new NodeSegmentFile(fd))))
    }),
})
