import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsInt, IsNumber, Max, Min } from 'class-validator';
import { Authenticated } from '../auth/authenticated.decorator.js';
import { ApiEnvelope, ApiErrors } from '../common/api-docs.js';
import { RateLimiterService } from './rate-limiter.service.js';

export class RateLimitDto {
  @ApiProperty({
    example: 2,
    description: 'Refill rate, SMS per second (fractions allowed, e.g. 0.5)',
  })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.001)
  @Max(100000)
  msgs_per_sec: number;

  @ApiProperty({ example: 4, description: 'Bucket size: the largest burst' })
  @IsInt()
  @Min(1)
  @Max(100000)
  burst_capacity: number;
}

@ApiTags('Admin: rate limit')
@Authenticated({ admin: true })
@Controller('api/admin/rate-limit')
export class AdminRateLimitController {
  constructor(private readonly limiter: RateLimiterService) {}

  @Get()
  @ApiOperation({ summary: 'The cluster-wide token bucket' })
  @ApiEnvelope(RateLimitDto)
  async get(): Promise<RateLimitDto> {
    const s = await this.limiter.settings();
    return { msgs_per_sec: s.msgsPerSec, burst_capacity: s.burstCapacity };
  }

  @Put()
  @ApiOperation({
    summary: 'Change the rate and burst',
    description:
      'Stored in the database: every process follows within 1 s, and it survives restarts.',
  })
  @ApiEnvelope(RateLimitDto)
  @ApiErrors(400)
  async put(@Body() body: RateLimitDto): Promise<RateLimitDto> {
    const s = await this.limiter.configure({
      msgsPerSec: body.msgs_per_sec,
      burstCapacity: body.burst_capacity,
    });
    return { msgs_per_sec: s.msgsPerSec, burst_capacity: s.burstCapacity };
  }
}
