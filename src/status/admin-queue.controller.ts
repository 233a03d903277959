import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../auth/authenticated.decorator.js';
import { ApiEnvelope } from '../common/api-docs.js';
import { QueueControlRepository } from '../queue-control/queue-control.repository.js';
import { QueueStatusDto } from './dto/queue-status.dto.js';
import { QueueStatusService } from './queue-status.service.js';

@ApiTags('Admin: queue')
@Authenticated({ admin: true })
@Controller('api/admin/queue')
export class AdminQueueController {
  constructor(
    private readonly control: QueueControlRepository,
    private readonly status: QueueStatusService,
  ) {}

  @Post('pause')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Pause sending cluster-wide: no worker takes new SMS; in-flight sends finish',
  })
  @ApiEnvelope(QueueStatusDto)
  async pause(): Promise<QueueStatusDto> {
    await this.control.setPaused(true);
    return this.status.status();
  }

  @Post('resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume sending cluster-wide' })
  @ApiEnvelope(QueueStatusDto)
  async resume(): Promise<QueueStatusDto> {
    await this.control.setPaused(false);
    return this.status.status();
  }
}
