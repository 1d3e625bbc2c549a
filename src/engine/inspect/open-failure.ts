import type { SeglogError } from '../../errors.js'
import { IoError } from '../../log/errors.js'

/** One line for a file that cannot be read: `cannot read <file>: no such file or directory`. */
export function describeOpenFailure(file: string, error: SeglogError): string {
  if (!(error instanceof IoError)) return error.message
  const reasons: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EISDIR: 'is a directory, not a segment file',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EINVAL: 'not a regular file',
  }
  const reason = error.errno === undefined ? undefined : reasons[error.errno]
  return reason === undefined ? error.message : `cannot read ${file}: ${reason}`
}
