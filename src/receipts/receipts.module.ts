import { Module } from '@nestjs/common';
import { ReceiptSecretGuard } from './receipt-secret.guard.js';
import { ReceiptsController } from './receipts.controller.js';
import { ReceiptsRepository } from './receipts.repository.js';

/** Delivery receipts from the SMS gateway: recipients' delivery_status and their events. */
@Module({
  controllers: [ReceiptsController],
  providers: [ReceiptsRepository, ReceiptSecretGuard],
})
export class ReceiptsModule {}
