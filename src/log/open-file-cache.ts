import type { LogFileSystem, OpenMode } from './file-system.js'

/**
 * How many segment `.log` descriptors stay open by default. Well under the common soft limit of
 * 1024 per process, leaving room for sockets, index files opened for a moment and the rest.
 */
export const DEFAULT_MAX_OPEN_SEGMENT_FILES = 256

/** What the cache needs of a descriptor it may close (a FileHandle). */
export interface CachedFile {
  /** A read or fsync holds it (it must stay open until released). */
  readonly isHeld: boolean
  /** Closes the descriptor now; the file opens again on its next use. */
  evict(): void
}

/**
 * A bound on the segment descriptors open at once, shared by every partition log that opens its
 * files through the same LogFileSystem object (an engine gives its logs one of their own, with
 * its `maxOpenSegmentFiles`). Opening a segment file beyond the bound closes the least recently
 * used one that no read or fsync holds. Active segments are pinned (their appends must not pay an
 * open): they stay open outside the bound, which counts the files of closed segments only, so a
 * process with more partitions than the bound still keeps that many closed segments open for
 * reads. When every file in the bound is held, the bound is exceeded rather than a read refused;
 * it returns under the bound as holds end.
 *
 * Single-threaded: called on the event loop only, and only from synchronous code, so a file a
 * caller is using synchronously is never closed under it unless that caller opens another.
 */
export class OpenFileCache {
  readonly maxOpenFiles: number
  /** Open, unpinned files, least recently used first (a Map keeps insertion order). */
  private readonly unpinned = new Map<CachedFile, true>()
  private openFiles = 0

  constructor(maxOpenFiles: number = DEFAULT_MAX_OPEN_SEGMENT_FILES) {
    this.maxOpenFiles = maxOpenFiles
  }

  /** Descriptors open now (pinned, held and idle ones). */
  get openCount(): number {
    return this.openFiles
  }

  /** Descriptors open now that the bound counts (every one but the pinned). */
  get boundedCount(): number {
    return this.unpinned.size
  }

  /** A descriptor was just opened: counts it and closes idle ones beyond the bound. */
  opened(file: CachedFile, isPinned: boolean): void {
    this.openFiles++
    if (isPinned) return
    this.unpinned.set(file, true)
    // The file just opened is about to be used: it is not a candidate, whatever else is held.
    this.evictBeyondBound(file)
  }

  /** A descriptor was used: it becomes the most recently used. */
  touched(file: CachedFile): void {
    if (!this.unpinned.delete(file)) return
    this.unpinned.set(file, true)
  }

  /** An open descriptor was pinned (it is never evicted until unpinned). */
  pinned(file: CachedFile): void {
    this.unpinned.delete(file)
  }

  /** An open descriptor was unpinned: it is the most recently used unpinned one. */
  unpinnedFile(file: CachedFile): void {
    this.unpinned.set(file, true)
    this.evictBeyondBound(null)
  }

  /** The last hold on an open descriptor ended: files held beyond the bound may go now. */
  released(): void {
    this.evictBeyondBound(null)
  }

  /** A descriptor was closed (by its owner or by `evict`). */
  closed(file: CachedFile): void {
    this.openFiles--
    this.unpinned.delete(file)
  }

  private evictBeyondBound(spared: CachedFile | null): void {
    if (this.unpinned.size <= this.maxOpenFiles) return
    for (const file of this.unpinned.keys()) {
      if (this.unpinned.size <= this.maxOpenFiles) return
      // A held file is in use by a read or an fsync right now: it stays, and the next one goes.
      if (!file.isHeld && file !== spared) file.evict()
    }
  }
}

const caches = new WeakMap<LogFileSystem, OpenFileCache>()

/**
 * The cache of the logs that open files through `fileSystem`: the one `withOpenFileLimit` gave
 * it, or else one created on first use with the default bound (partition logs opened on their
 * own, outside an engine, share it when they share the file system).
 */
export function openFileCacheFor(fileSystem: LogFileSystem): OpenFileCache {
  let cache = caches.get(fileSystem)
  if (cache === undefined) {
    cache = new OpenFileCache()
    caches.set(fileSystem, cache)
  }
  return cache
}

/**
 * A file system that is `fileSystem` (every call passes through) with its own bound on open
 * segment files: the engine wraps its file system once, so its logs share one bound and another
 * engine in the process keeps its own.
 */
export function withOpenFileLimit(fileSystem: LogFileSystem, maxOpenFiles: number): LogFileSystem {
  const bounded: LogFileSystem = {
    openSync: (file: string, mode: OpenMode) => fileSystem.openSync(file, mode),
    readdirSync: (dir: string) => fileSystem.readdirSync(dir),
    existsSync: (file: string) => fileSystem.existsSync(file),
    renameSync: (from: string, to: string) => fileSystem.renameSync(from, to),
    unlinkSync: (file: string) => fileSystem.unlinkSync(file),
    mkdirSync: (dir: string) => fileSystem.mkdirSync(dir),
    readFileSync: (file: string) => fileSystem.readFileSync(file),
  }
  const { statSync, rename, open, readdir } = fileSystem
  if (statSync !== undefined) bounded.statSync = (file: string) => statSync.call(fileSystem, file)
  if (rename !== undefined) bounded.rename = (from: string, to: string) => rename.call(fileSystem, from, to)
  if (open !== undefined) bounded.open = (file: string, mode: OpenMode) => open.call(fileSystem, file, mode)
  if (readdir !== undefined) bounded.readdir = (dir: string) => readdir.call(fileSystem, dir)
  Object.freeze(bounded)
  caches.set(bounded, new OpenFileCache(maxOpenFiles))
  return bounded
}
