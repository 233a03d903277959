import { Controller, Get, Header, Query, Req, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import type { AuthenticatedUser } from '../access/authenticated-user.js';
import { Authenticated } from '../access/authenticated.decorator.js';
import { OptionalBearerGuard } from '../auth/optional-bearer.guard.js';
import { ApiEnvelope, ApiErrors } from '../common/api-docs.js';
import { RawResponse } from '../common/envelope.interceptor.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { QueueStatusDto, ThroughputDto, ThroughputQueryDto } from './dto/queue-status.dto.js';
import { QueueStatusService } from './queue-status.service.js';
import { StatusRepository } from './status.repository.js';

@ApiTags('Queue')
@Controller()
export class StatusController {
  constructor(
    private readonly status: QueueStatusService,
    private readonly repo: StatusRepository,
    private readonly metrics: MetricsService,
  ) {}

  @Get('api/queue/status')
  @UseGuards(OptionalBearerGuard)
  @ApiOperation({
    summary: 'Queue depth, rate limit, observed rate, drain time, workers',
    description:
      "Public. With a valid bearer token the answer adds a `user` section about the caller's own jobs; an invalid token is ignored.",
  })
  @ApiEnvelope(QueueStatusDto)
  @ApiErrors(503)
  queueStatus(@Req() req: Request & { user?: AuthenticatedUser }): Promise<QueueStatusDto> {
    return this.status.status(req.user?.id);
  }

  @Get('api/queue/throughput')
  @Authenticated()
  @ApiOperation({ summary: 'Gateway requests per second over the last minutes (for charts)' })
  @ApiEnvelope(ThroughputDto)
  @ApiErrors(400)
  async throughput(@Query() q: ThroughputQueryDto): Promise<ThroughputDto> {
    const rows = await this.repo.throughput(q.seconds);
    return {
      points: rows.map((r) => ({
        second: r.second.toISOString(),
        requests: r.requests,
        sent: r.sent,
        failed: r.failed,
      })),
    };
  }

  @Get('metrics')
  @RawResponse()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiTags('Operations')
  @ApiOperation({ summary: 'Prometheus metrics (text exposition format)' })
  @ApiProduces('text/plain')
  @ApiResponse({
    status: 200,
    description: 'Prometheus text',
    content: { 'text/plain': { schema: { type: 'string', example: 'smspanel_queue_depth 42' } } },
  })
  async prometheus(): Promise<string> {
    await this.status.status().catch(() => undefined);
    return this.metrics.registry.metrics();
  }
}
