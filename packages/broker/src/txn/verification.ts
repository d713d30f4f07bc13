/**
 * Transaction verification on produce (KIP-890 part 1, Kafka 3.6+ `transaction.partition.verification
 * .enable`): the first transactional batch a producer writes to a partition in a transaction is only
 * appended once its transaction coordinator confirms that the partition was added to the transaction
 * (AddPartitionsToTxn with verifyOnly). Without it, a batch that arrives after its transaction ended
 * (a retry delayed in the network) would open a transaction nobody will ever end, holding the last
 * stable offset back for good: the "hanging transaction".
 *
 * Off with transaction.partition.verification.enable=false. Differs from Kafka: only a coordinator on
 * this broker is asked; with the coordinator elsewhere the
 * batch is accepted unverified, as in Kafka before 3.6. Failures are answered as Kafka answers
 * pre-KIP-890 producers: INVALID_TXN_STATE when the partition is not in the transaction,
 * INVALID_PRODUCER_EPOCH when the producer was fenced, and NOT_ENOUGH_REPLICAS (retriable) while the
 * coordinator is loading, moving or completing a transaction.
 */
import { ErrorCode, KafkaError } from '@flotilla/protocol';
import { BATCH_HEADER_SIZE, isControl, isTransactional } from '../log/batch-info.js';
import type { Partition } from '../replica/partition.js';
import type { TransactionCoordinator } from './coordinator.js';

function produceErrorFor(code: number): number {
  switch (code) {
    case ErrorCode.NONE:
    case ErrorCode.NOT_COORDINATOR: // the coordinator is on another broker: not verified here
      return ErrorCode.NONE;
    case ErrorCode.PRODUCER_FENCED:
    case ErrorCode.INVALID_PRODUCER_EPOCH:
      return ErrorCode.INVALID_PRODUCER_EPOCH;
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
    case ErrorCode.CONCURRENT_TRANSACTIONS:
      return ErrorCode.NOT_ENOUGH_REPLICAS;
    default:
      return ErrorCode.INVALID_TXN_STATE;
  }
}

/** Throws the produce error for a transactional batch its coordinator does not know in this partition. */
export async function verifyTransactionalBatch(
  transactions: TransactionCoordinator,
  transactionalId: string | null,
  topic: string,
  partitionId: number,
  partition: Partition,
  records: Buffer,
): Promise<void> {
  if (records.length < BATCH_HEADER_SIZE || !transactions.verificationEnabled) return;
  const header = { attributes: records.readInt16BE(21) };
  if (!isTransactional(header) || isControl(header)) return;
  const producerId = Number(records.readBigInt64BE(43));
  const epoch = records.readInt16BE(51);
  // Already in a transaction here: that transaction was verified when it began.
  if ((partition.producers.entry(producerId)?.currentTxnFirstOffset ?? -1) >= 0) return;
  if (transactionalId === null) {
    throw new KafkaError(ErrorCode.INVALID_TXN_STATE, 'a transactional batch needs the transactional id');
  }
  const [result] = await transactions.addPartitions(
    transactionalId,
    producerId,
    epoch,
    [{ topic, partitions: [partitionId] }],
    true,
  );
  const code = produceErrorFor(result?.errorCode ?? ErrorCode.NONE);
  if (code !== ErrorCode.NONE) {
    throw new KafkaError(
      code,
      `${topic}-${partitionId} is not in the transaction of ${transactionalId} (producer ${producerId}, epoch ${epoch})`,
    );
  }
}
