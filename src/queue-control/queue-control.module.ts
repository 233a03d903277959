import { Module } from '@nestjs/common';
import { QueueControlRepository } from './queue-control.repository.js';

/** The pause switch, shared by the worker (obeys it) and the admin API (sets it). */
@Module({ providers: [QueueControlRepository], exports: [QueueControlRepository] })
export class QueueControlModule {}
