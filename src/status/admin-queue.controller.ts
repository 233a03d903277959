import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../access/authenticated.decorator.js';
import { ApiEnvelope } from '../common/api-docs.js';
import { QueueControlService } from '../queue/queue-control.service.js';
import { QueueStatusDto } from './dto/queue-status.dto.js';
import { QueueStatusService } from './queue-status.service.js';

@ApiTags('Admin: queue')
@Authenticated({ admin: true })
@Controller('api/admin/queue')
export class AdminQueueController {
  constructor(
    private readonly control: QueueControlService,
    private readonly status: QueueStatusService,
  ) {}

  @Post('pause')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Pause sending cluster-wide: after the answer no request starts in any process',
    description:
      'SMS claimed or waiting for a token go back to the queue; requests already on the wire finish.',
  })
  @ApiEnvelope(QueueStatusDto)
  async pause(): Promise<QueueStatusDto> {
    await this.control.pause();
    return this.status.status();
  }

  @Post('resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume sending cluster-wide' })
  @ApiEnvelope(QueueStatusDto)
  async resume(): Promise<QueueStatusDto> {
    await this.control.resume();
    return this.status.status();
  }
}
