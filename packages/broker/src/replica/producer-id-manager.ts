/**
 * Hands out producer ids for idempotent producers. Ids come from the controller in blocks (Kafka's
 * AllocateProducerIds, KIP-730), recorded in the metadata log, so an id is never given out twice,
 * across restarts and across brokers.
 */
import type { Controller } from '../metadata/controller.js';

const BLOCK_SIZE = 1000;

export class ProducerIdManager {
  private next = 0;
  private end = 0;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly brokerId: number,
    private readonly controller: Controller,
  ) {}

  async nextProducerId(): Promise<number> {
    while (this.next >= this.end) {
      this.pending ??= this.controller.allocateProducerIds(this.brokerId, BLOCK_SIZE).then(
        (block) => {
          this.next = block.first;
          this.end = block.first + block.count;
          this.pending = undefined;
        },
        (e: unknown) => {
          this.pending = undefined;
          throw e;
        },
      );
      await this.pending;
    }
    return this.next++;
  }
}
