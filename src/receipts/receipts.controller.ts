import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiBody,
  ApiExtraModels,
  ApiOperation,
  ApiSecurity,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { ApiEnvelope, ApiErrorExample, ApiErrors } from '../common/api-docs.js';
import { MAX_RECEIPTS, ReceiptDto, ReceiptsResultDto } from './dto/receipt.dto.js';
import { ReceiptSecretGuard } from './receipt-secret.guard.js';
import { ReceiptsBodyPipe } from './receipts-body.pipe.js';
import { ReceiptsRepository } from './receipts.repository.js';

/** Where the SMS gateway reports whether handsets got the SMS (WEBHOOKS.md). */
@ApiTags('Gateway')
@Controller('api/gateway')
export class ReceiptsController {
  constructor(private readonly receipts: ReceiptsRepository) {}

  @Post('receipts')
  @HttpCode(200)
  @UseGuards(ReceiptSecretGuard)
  @ApiSecurity('receipt-secret')
  @ApiOperation({
    summary: "The gateway's delivery receipts",
    description:
      'Only when the server has SMS_RECEIPT_SECRET (else 404), with Authorization: Bearer <SMS_RECEIPT_SECRET> (else 401). One receipt or an array of up to 1 000. delivered is final: a later undelivered for the same SMS is ignored; a repeated receipt changes nothing and emits no second webhook event.',
  })
  @ApiExtraModels(ReceiptDto)
  @ApiBody({
    schema: {
      oneOf: [
        { $ref: getSchemaPath(ReceiptDto) },
        { type: 'array', maxItems: MAX_RECEIPTS, items: { $ref: getSchemaPath(ReceiptDto) } },
      ],
    },
  })
  @ApiEnvelope(ReceiptsResultDto)
  @ApiErrors(400, 413)
  @ApiErrorExample(
    401,
    'Missing or wrong receipt secret',
    'UNAUTHORIZED',
    'Missing or wrong receipt secret',
  )
  @ApiErrorExample(404, 'SMS_RECEIPT_SECRET is not set', 'NOT_FOUND', 'Route not found')
  accept(@Body(ReceiptsBodyPipe) receipts: ReceiptDto[]): Promise<ReceiptsResultDto> {
    return this.receipts.apply(receipts);
  }
}
