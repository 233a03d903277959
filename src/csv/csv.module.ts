import { Module } from '@nestjs/common';
import { MessagesModule } from '../messages/messages.module.js';
import { SuppressionsModule } from '../suppressions/suppressions.module.js';
import { CsvController } from './csv.controller.js';
import { CsvUploadService } from './csv-upload.service.js';
import { UploadSlots } from './upload-slots.js';

/** CSV upload (CONTENT.md): rows rendered as they stream in, queued through the messages module. */
@Module({
  imports: [MessagesModule, SuppressionsModule],
  controllers: [CsvController],
  providers: [CsvUploadService, UploadSlots],
})
export class CsvModule {}
