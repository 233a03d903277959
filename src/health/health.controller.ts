import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RawResponse } from '../common/envelope.interceptor.js';
import { HealthService } from './health.service.js';

class HealthChecksDto {
  @ApiProperty({ example: 'up', enum: ['up', 'down'] }) database: string;
  @ApiProperty({ example: 'up', enum: ['up', 'down', 'paused'] }) queue: string;
}

class HealthDto {
  @ApiProperty({ example: 'ok', enum: ['ok', 'error'] }) status: string;
  @ApiProperty({ example: '2026-11-28T10:00:00.000Z' }) timestamp: string;
  @ApiProperty({ example: '0.26.0' }) version: string;
  @ApiProperty({ type: HealthChecksDto }) checks: HealthChecksDto;
}

/** Load-balancer probes: bare JSON objects, not the API envelope, and no token. */
@ApiTags('Operations')
@RawResponse()
@Controller('api/health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @ApiOperation({ summary: 'Overall health with per-component checks' })
  @ApiResponse({ status: 200, type: HealthDto })
  @ApiResponse({ status: 503, type: HealthDto, description: 'A component is down' })
  async overall(@Res({ passthrough: true }) res: Response): Promise<HealthDto> {
    const report = await this.health.report();
    if (report.status !== 'ok') res.status(503);
    return report;
  }

  @Get('live')
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiResponse({ status: 200, schema: { example: { status: 'alive' } } })
  live(): { status: string } {
    return { status: 'alive' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database answers and all migrations are applied' })
  @ApiResponse({ status: 200, schema: { example: { status: 'ready' } } })
  @ApiResponse({
    status: 503,
    schema: { example: { status: 'not_ready', reason: 'database unreachable' } },
  })
  async ready(
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ status: string; reason?: string }> {
    const reason = await this.health.notReadyReason();
    if (reason) res.status(503);
    return reason ? { status: 'not_ready', reason } : { status: 'ready' };
  }
}
