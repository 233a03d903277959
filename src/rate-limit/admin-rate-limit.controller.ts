import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsInt, IsNumber, Max, Min } from 'class-validator';
import { Authenticated } from '../access/authenticated.decorator.js';
import { ApiEnvelope, ApiErrors } from '../common/api-docs.js';
import { RateLimiterService } from './rate-limiter.service.js';
import type { BucketSettings } from './stores/token-bucket.store.js';

export class RateLimitDto {
  @ApiProperty({
    example: 2,
    description:
      'Refill rate, SMS per second (fractions allowed, e.g. 0.5); segments per second with SMS_RATE_UNIT=segment',
  })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.001)
  @Max(100000)
  msgs_per_sec: number;

  @ApiProperty({
    example: 4,
    description: 'Bucket size: the largest burst (in segments with SMS_RATE_UNIT=segment)',
  })
  @IsInt()
  @Min(1)
  @Max(100000)
  burst_capacity: number;
}

export class RateLimitSettingsDto extends RateLimitDto {
  @ApiProperty({
    enum: ['request', 'segment'],
    example: 'request',
    description:
      'What one token pays for (SMS_RATE_UNIT): a gateway request, or one SMS segment (a 3-part message takes 3)',
  })
  rate_unit: 'request' | 'segment';
}

@ApiTags('Admin: rate limit')
@Authenticated({ admin: true })
@Controller('api/admin/rate-limit')
export class AdminRateLimitController {
  constructor(private readonly limiter: RateLimiterService) {}

  @Get()
  @ApiOperation({ summary: 'The cluster-wide token bucket' })
  @ApiEnvelope(RateLimitSettingsDto)
  async get(): Promise<RateLimitSettingsDto> {
    return this.answer(await this.limiter.settings());
  }

  @Put()
  @ApiOperation({
    summary: 'Change the rate and burst',
    description:
      'Stored in the database: every process follows within 1 s, and it survives restarts. ' +
      'With SMS_RATE_UNIT=segment both count segments, and a burst below SMS_MAX_SEGMENTS ' +
      '(the largest allowed message) is refused with 400 VALIDATION_ERROR.',
  })
  @ApiEnvelope(RateLimitSettingsDto)
  @ApiErrors(400)
  async put(@Body() body: RateLimitDto): Promise<RateLimitSettingsDto> {
    return this.answer(
      await this.limiter.configure({
        msgsPerSec: body.msgs_per_sec,
        burstCapacity: body.burst_capacity,
      }),
    );
  }

  private answer(s: BucketSettings): RateLimitSettingsDto {
    return {
      msgs_per_sec: s.msgsPerSec,
      burst_capacity: s.burstCapacity,
      rate_unit: this.limiter.rule.unit,
    };
  }
}
