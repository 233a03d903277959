import { Controller, Get, Param, PipeTransform } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentUser } from '../access/authenticated.decorator.js';
import type { AuthenticatedUser } from '../access/authenticated-user.js';
import { ApiEnvelope, ApiErrorExample, ApiErrors } from '../common/api-docs.js';
import { validationError } from '../common/app-error.js';
import { IdParamPipe } from '../common/id-param.pipe.js';
import { SmsEventListDto } from './dto/sms-event.dto.js';
import { SmsEventsRepository } from './sms-events.repository.js';

/** Recipient ids are bigint: kept as a string of digits. */
class RecipientIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!/^[1-9][0-9]{0,17}$/.test(value)) {
      throw validationError('recipientId must be a positive integer', [
        { field: 'recipientId', value, message: 'recipientId must be a positive integer' },
      ]);
    }
    return value;
  }
}

@ApiTags('Messages')
@Authenticated()
@Controller('api/sms')
export class SmsEventsController {
  constructor(private readonly events: SmsEventsRepository) {}

  @Get(':id/recipients/:recipientId/events')
  @ApiOperation({
    summary: 'The event history of one SMS of a job, oldest first (owner only)',
    description:
      "queued, each gateway attempt (with the gateway's answer or the error), retry_scheduled, then sent / failed / expired / cancelled / suppressed, and delivered / undelivered from the gateway's receipt. Kept EVENT_RETENTION_DAYS (default 30).",
  })
  @ApiParam({ name: 'id', description: 'The job', example: 42 })
  @ApiParam({
    name: 'recipientId',
    description: 'The recipient id (GET /api/sms/{id}/recipients)',
    example: 1001,
  })
  @ApiEnvelope(SmsEventListDto)
  @ApiErrors(400)
  @ApiErrorExample(
    404,
    "No such job or recipient, or another user's job",
    'NOT_FOUND',
    'Recipient not found',
  )
  async list(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', IdParamPipe) id: number,
    @Param('recipientId', RecipientIdPipe) recipientId: string,
  ): Promise<SmsEventListDto> {
    return { events: await this.events.history(user.id, id, recipientId) };
  }
}
