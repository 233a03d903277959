import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentUser } from '../access/authenticated.decorator.js';
import type { AuthenticatedUser } from '../access/authenticated-user.js';
import { ApiEnvelope, ApiErrorExample, ApiErrors } from '../common/api-docs.js';
import { IdParamPipe } from '../common/id-param.pipe.js';
import { PaginationQueryDto } from '../common/pagination.dto.js';
import {
  CreatedWebhookDto,
  DeliveryDto,
  DeliveryListDto,
  QueuedEventDto,
  WebhookDto,
  WebhookListDto,
  WebhookSecretDto,
} from './dto/webhook.dto.js';
import { CreateWebhookDto, DeliveryQueryDto, UpdateWebhookDto } from './dto/webhook-input.dto.js';
import { WebhooksService } from './webhooks.service.js';

const NotYours = () =>
  ApiErrorExample(404, "No such endpoint, or another user's", 'NOT_FOUND', 'Webhook not found');
const BadUrl = () =>
  ApiErrorExample(
    400,
    'Invalid body, or a url that is not http(s), is too long, or whose host is or resolves to a private address',
    'VALIDATION_ERROR',
    'url host localhost is or resolves to a loopback, private, link-local or unspecified address (127.0.0.1)',
  );

@ApiTags('Webhooks')
@Authenticated()
@Controller('api/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiOperation({
    summary: 'Register a webhook endpoint',
    description:
      'The answer carries the signing secret (whsec_...), shown only here. Events of the caller\'s messages are POSTed to the url, signed with Smspanel-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">; see the README for verifying it.',
  })
  @ApiEnvelope(CreatedWebhookDto, 201, 'Registered')
  @BadUrl()
  @ApiErrorExample(
    409,
    'The caller already has 20 endpoints',
    'CONFLICT',
    'At most 20 webhook endpoints per user',
  )
  create(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: CreateWebhookDto,
  ): Promise<CreatedWebhookDto> {
    return this.webhooks.create(user.id, body);
  }

  @Get()
  @ApiOperation({ summary: "The caller's endpoints, newest first (never the secret)" })
  @ApiEnvelope(WebhookListDto)
  @ApiErrors(400)
  list(
    @CurrentUser() user: AuthenticatedUser,
    @Query() q: PaginationQueryDto,
  ): Promise<WebhookListDto> {
    return this.webhooks.list(user.id, q);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One endpoint (never the secret)' })
  @ApiEnvelope(WebhookDto)
  @ApiErrors(400)
  @NotYours()
  get(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', IdParamPipe) id: number,
  ): Promise<WebhookDto> {
    return this.webhooks.get(user.id, id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change an endpoint',
    description: 'is_active: true turns a deactivated endpoint back on and clears disabled_reason.',
  })
  @ApiEnvelope(WebhookDto)
  @BadUrl()
  @NotYours()
  update(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', IdParamPipe) id: number,
    @Body() body: UpdateWebhookDto,
  ): Promise<WebhookDto> {
    return this.webhooks.update(user.id, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an endpoint and its delivery log' })
  @ApiResponse({ status: 204, description: 'Deleted; no body' })
  @ApiErrors(400)
  @NotYours()
  async delete(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', IdParamPipe) id: number,
  ): Promise<void> {
    await this.webhooks.delete(user.id, id);
  }

  @Post(':id/secret')
  @ApiOperation({
    summary: "Rotate the endpoint's signing secret",
    description:
      'The new secret signs every delivery from now on; it is shown only in this answer.',
  })
  @ApiEnvelope(WebhookSecretDto, 201, 'Rotated')
  @ApiErrors(400)
  @NotYours()
  rotate(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', IdParamPipe) id: number,
  ): Promise<WebhookSecretDto> {
    return this.webhooks.rotateSecret(user.id, id);
  }

  @Post(':id/test')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Queue a ping event to this endpoint',
    description: 'Delivered like any event (signed, retried).',
  })
  @ApiEnvelope(QueuedEventDto, 202, 'Queued')
  @ApiErrors(400)
  @NotYours()
  @ApiErrorExample(
    409,
    'The endpoint is not active',
    'CONFLICT',
    'The endpoint is not active; turn it on first',
  )
  test(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', IdParamPipe) id: number,
  ): Promise<QueuedEventDto> {
    return this.webhooks.ping(user.id, id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: "The endpoint's delivery log, newest first" })
  @ApiEnvelope(DeliveryListDto)
  @ApiErrors(400)
  @NotYours()
  deliveries(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', IdParamPipe) id: number,
    @Query() q: DeliveryQueryDto,
  ): Promise<DeliveryListDto> {
    return this.webhooks.deliveries(user.id, id, q);
  }

  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Send a delivery again',
    description:
      'From now, with a fresh 24 h retry schedule, whatever its status (the receiver dedupes by event id). 409 while an attempt of it is under way.',
  })
  @ApiParam({ name: 'deliveryId', example: 1201 })
  @ApiEnvelope(DeliveryDto, 202, 'Queued again')
  @ApiErrors(400)
  @ApiErrorExample(
    404,
    "No such endpoint or delivery, or another user's",
    'NOT_FOUND',
    'Delivery not found',
  )
  @ApiErrorExample(
    409,
    'An attempt is under way',
    'CONFLICT',
    'The delivery is being attempted right now',
  )
  redeliver(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', IdParamPipe) id: number,
    @Param('deliveryId', IdParamPipe) deliveryId: number,
  ): Promise<DeliveryDto> {
    return this.webhooks.redeliver(user.id, id, deliveryId);
  }
}
