import {
  applyDecorators,
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentUser } from '../access/authenticated.decorator.js';
import type { AuthenticatedUser } from '../access/authenticated-user.js';
import { ApiEnvelope, ApiErrorExample, ApiErrors } from '../common/api-docs.js';
import { IdParamPipe } from '../common/id-param.pipe.js';
import {
  AcceptedSmsDto,
  MessageDetailDto,
  MessageListDto,
  RecipientListDto,
} from './dto/message.dto.js';
import { MessageListQueryDto, RecipientQueryDto } from './dto/message-query.dto.js';
import { SendBulkDto, SendSmsDto } from './dto/send-sms.dto.js';
import { IdempotencyKey, IdempotencyKeyPipe } from './idempotency-key.pipe.js';
import { JobControlService } from './job-control.service.js';
import { URGENT_FORBIDDEN } from './lanes.js';
import { MessagesService } from './messages.service.js';

const IdempotencyHeader = () =>
  applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        'Optional, 1-200 printable characters. The same key from the same user within 24 h returns the first answer (same id) and queues nothing; the same key with a different body answers 409.',
      example: 'order-2026-11-28-0001',
    }),
  );

const UrgentForbidden = () =>
  ApiErrorExample(
    403,
    'Urgent (adhoc: true or priority "urgent") asked by a user without can_send_urgent; nothing is queued',
    'FORBIDDEN',
    URGENT_FORBIDDEN,
  );

@ApiTags('Messages')
@Authenticated()
@Controller('api/sms')
export class MessagesController {
  constructor(
    private readonly messages: MessagesService,
    private readonly control: JobControlService,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Queue one SMS',
    description:
      'Answers 202 once the job is committed to the database; it is then sent at the configured rate. Urgent jobs (adhoc: true or priority "urgent") are sent before every normal one and need the can_send_urgent right (admins always have it).',
  })
  @ApiEnvelope(AcceptedSmsDto, 202, 'Queued')
  @IdempotencyHeader()
  @ApiErrors(400, 409, 413, 422)
  @UrgentForbidden()
  send(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: SendSmsDto,
    @IdempotencyKey(IdempotencyKeyPipe) key?: string,
  ): Promise<AcceptedSmsDto> {
    return this.messages.sendOne(user, body, key);
  }

  @Post('send-bulk')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Queue one text to many recipients (a bulk job)',
    description:
      'All numbers are checked first: if any is invalid, every invalid one is listed in error.details and nothing is queued. Duplicates are sent once (duplicates_removed). Urgent bulks (adhoc: true or priority "urgent") need the can_send_urgent right (admins always have it).',
  })
  @ApiEnvelope(AcceptedSmsDto, 202, 'Queued')
  @IdempotencyHeader()
  @ApiErrors(400, 409, 413, 422)
  @UrgentForbidden()
  sendBulk(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: SendBulkDto,
    @IdempotencyKey(IdempotencyKeyPipe) key?: string,
  ): Promise<AcceptedSmsDto> {
    return this.messages.sendBulk(user, body, key);
  }

  @Get()
  @ApiOperation({ summary: "The caller's jobs, newest first" })
  @ApiEnvelope(MessageListDto)
  @ApiErrors(400)
  list(
    @CurrentUser() user: AuthenticatedUser,
    @Query() q: MessageListQueryDto,
  ): Promise<MessageListDto> {
    return this.messages.list(q, { userId: user.id });
  }

  @Get(':id')
  @ApiOperation({
    summary: 'One job: status, counts, progress, queue position and estimated completion',
  })
  @ApiEnvelope(MessageDetailDto)
  @ApiErrors(400, 404)
  detail(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', IdParamPipe) id: number,
  ): Promise<MessageDetailDto> {
    return this.messages.detail(user.id, id);
  }

  @Get(':id/recipients')
  @ApiOperation({ summary: "A job's recipients in the order given, paginated" })
  @ApiEnvelope(RecipientListDto)
  @ApiErrors(400, 404)
  recipients(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', IdParamPipe) id: number,
    @Query() q: RecipientQueryDto,
  ): Promise<RecipientListDto> {
    return this.messages.recipients(user.id, id, q);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cancel a job at once (owner or admin)',
    description:
      'The answer says job_status "cancelled": after it no request of the job starts in any process. ' +
      'Waiting recipients, and those claimed or waiting for a token, become cancelled; requests already ' +
      'on the wire finish and are recorded (such a recipient stays "sending" until then). 409 if the job already finished.',
  })
  @ApiEnvelope(MessageDetailDto)
  @ApiErrors(400, 404, 409)
  cancel(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', IdParamPipe) id: number,
  ): Promise<MessageDetailDto> {
    return this.control.cancel(user, id);
  }

  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({
    summary: "Requeue a job's failed recipients with fresh attempts (owner or admin)",
    description: '409 if the job has no failed recipients.',
  })
  @ApiEnvelope(MessageDetailDto, 202, 'Requeued')
  @ApiErrors(400, 404, 409)
  retry(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', IdParamPipe) id: number,
  ): Promise<MessageDetailDto> {
    return this.control.retry(user, id);
  }
}
