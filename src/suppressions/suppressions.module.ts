import { Module } from '@nestjs/common';
import { AdminSuppressionsController } from './admin-suppressions.controller.js';
import { SuppressionImportService } from './suppression-import.service.js';
import { SuppressionsRepository } from './suppressions.repository.js';
import { SuppressionsService } from './suppressions.service.js';

/**
 * The suppression list (CONTENT.md, opt-out): admin routes and the batch check the CSV
 * report uses. Submissions and claims test the list in their own SQL (a join on its key).
 */
@Module({
  controllers: [AdminSuppressionsController],
  providers: [SuppressionsRepository, SuppressionsService, SuppressionImportService],
  exports: [SuppressionsService],
})
export class SuppressionsModule {}
