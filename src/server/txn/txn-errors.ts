import { CorruptMetadataError } from '../../index.js'
import { ProtocolDecodeError } from '../protocol/index.js'
import { TRANSACTION_STATE_TOPIC } from './txn-metadata.js'

/**
 * A record of `__transaction_state` that does not decode as Kafka's TransactionLogKey/Value:
 * CORRUPT_METADATA, naming the part (key or value) and the byte within it. The loader adds the
 * record's offset (`atOffset`), since the codec only sees the record's bytes.
 */
export class TxnLogRecordError extends CorruptMetadataError {
  constructor(
    readonly part: 'key' | 'value',
    position: number,
    detail: string,
    readonly offset: number | null = null,
  ) {
    super(`${TRANSACTION_STATE_TOPIC}-0`, `${offset === null ? '' : `offset ${offset}, `}record ${part}: ${detail}`, { position })
  }

  static wrap(part: 'key' | 'value', error: unknown): TxnLogRecordError {
    if (error instanceof ProtocolDecodeError) return new TxnLogRecordError(part, error.position + 2, `${error.reason} (${error.detail})`)
    throw error
  }

  atOffset(offset: number): TxnLogRecordError {
    return new TxnLogRecordError(this.part, this.position ?? 0, this.detail.replace(/^record \w+: /, ''), offset)
  }
}
