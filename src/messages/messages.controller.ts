import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentUser } from '../auth/authenticated.decorator.js';
import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import { ApiEnvelope, ApiErrors } from '../common/api-docs.js';
import { IdParamPipe } from '../common/id-param.pipe.js';
import {
  AcceptedSmsDto,
  MessageDetailDto,
  MessageListDto,
  RecipientListDto,
} from './dto/message.dto.js';
import { MessageListQueryDto, RecipientQueryDto } from './dto/message-query.dto.js';
import { SendBulkDto, SendSmsDto } from './dto/send-sms.dto.js';
import { MessagesService } from './messages.service.js';

@ApiTags('Messages')
@Authenticated()
@Controller('api/sms')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Queue one SMS',
    description:
      'Answers 202 once the job is committed to the database; it is then sent at the configured rate.',
  })
  @ApiEnvelope(AcceptedSmsDto, 202, 'Queued')
  @ApiErrors(400, 413)
  send(@CurrentUser() user: AuthenticatedUser, @Body() body: SendSmsDto): Promise<AcceptedSmsDto> {
    return this.messages.sendOne(user.id, body);
  }

  @Post('send-bulk')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Queue one text to many recipients (a bulk job)',
    description:
      'All numbers are checked first: if any is invalid, every invalid one is listed in error.details and nothing is queued. Duplicates are sent once (duplicates_removed).',
  })
  @ApiEnvelope(AcceptedSmsDto, 202, 'Queued')
  @ApiErrors(400, 413)
  sendBulk(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: SendBulkDto,
  ): Promise<AcceptedSmsDto> {
    return this.messages.sendBulk(user.id, body);
  }

  @Get()
  @ApiOperation({ summary: "The caller's jobs, newest first" })
  @ApiEnvelope(MessageListDto)
  @ApiErrors(400)
  list(
    @CurrentUser() user: AuthenticatedUser,
    @Query() q: MessageListQueryDto,
  ): Promise<MessageListDto> {
    return this.messages.list(user.id, q);
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
}
