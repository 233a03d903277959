import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../access/authenticated.decorator.js';
import { ApiEnvelope, ApiErrors } from '../common/api-docs.js';
import { PaginationQueryDto } from '../common/pagination.dto.js';
import { DeadLetterListDto, MessageListDto } from './dto/message.dto.js';
import { AdminMessageQueryDto } from './dto/message-query.dto.js';
import { JobControlService } from './job-control.service.js';
import { MessagesService } from './messages.service.js';

@ApiTags('Admin: messages')
@Authenticated({ admin: true })
@Controller('api/admin')
export class AdminMessagesController {
  constructor(
    private readonly messages: MessagesService,
    private readonly control: JobControlService,
  ) {}

  @Get('messages')
  @ApiOperation({ summary: "All users' jobs with their owner, filtered, newest first" })
  @ApiEnvelope(MessageListDto)
  @ApiErrors(400)
  list(@Query() q: AdminMessageQueryDto): Promise<MessageListDto> {
    return this.messages.list(q, { userId: q.user_id, text: q.q, withOwner: true });
  }

  @Get('dead-letter')
  @ApiOperation({
    summary: 'Recipients that finally failed, with error, attempts, job and owner',
    description: 'Requeue them with POST /api/sms/{id}/retry.',
  })
  @ApiEnvelope(DeadLetterListDto)
  @ApiErrors(400)
  deadLetters(@Query() q: PaginationQueryDto): Promise<DeadLetterListDto> {
    return this.control.deadLetters(q);
  }
}
