import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../access/authenticated.decorator.js';
import { ApiEnvelope, ApiErrors } from '../common/api-docs.js';
import { AdminWebhookListDto } from './dto/webhook.dto.js';
import { AdminWebhookQueryDto } from './dto/webhook-input.dto.js';
import { WebhooksService } from './webhooks.service.js';

@ApiTags('Admin: webhooks')
@Authenticated({ admin: true })
@Controller('api/admin/webhooks')
export class AdminWebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @ApiOperation({ summary: "Every user's webhook endpoints with their owner, newest first" })
  @ApiEnvelope(AdminWebhookListDto)
  @ApiErrors(400)
  list(@Query() q: AdminWebhookQueryDto): Promise<AdminWebhookListDto> {
    return this.webhooks.listAll(q);
  }
}
