import { Module } from '@nestjs/common';
import { AdminExportsController } from './admin-exports.controller.js';
import { ExportsController } from './exports.controller.js';
import { ExportsRepository } from './exports.repository.js';
import { ExportsService } from './exports.service.js';

/** CSV exports (CONTENT.md): a job's recipients and the admin job listing, streamed. */
@Module({
  controllers: [ExportsController, AdminExportsController],
  providers: [ExportsRepository, ExportsService],
})
export class ExportsModule {}
