import { Module } from '@nestjs/common';
import { StatusModule } from '../status/status.module.js';
import { TemplatesModule } from '../templates/templates.module.js';
import { AdminMessagesController } from './admin-messages.controller.js';
import { HousekeepingScheduler } from './housekeeping.scheduler.js';
import { JobControlService } from './job-control.service.js';
import { MessagesController } from './messages.controller.js';
import { MessagesRepository } from './messages.repository.js';
import { MessagesService } from './messages.service.js';

@Module({
  imports: [StatusModule, TemplatesModule],
  controllers: [MessagesController, AdminMessagesController],
  providers: [MessagesRepository, MessagesService, JobControlService, HousekeepingScheduler],
  exports: [MessagesService],
})
export class MessagesModule {}
