import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Authenticated, CurrentUser } from '../access/authenticated.decorator.js';
import type { AuthenticatedUser } from '../access/authenticated-user.js';
import { ApiErrors } from '../common/api-docs.js';
import { IdParamPipe } from '../common/id-param.pipe.js';
import { ExportsService } from './exports.service.js';

const EXAMPLE =
  'id,phone,status,attempts,error_message,sent_at,delivery_status,delivered_at\r\n' +
  '1001,+85291234567,sent,1,,2026-11-28T10:00:01.000Z,delivered,2026-11-28T10:00:05.000Z\r\n';

@ApiTags('Messages')
@Authenticated()
@Controller('api/sms')
export class ExportsController {
  constructor(private readonly exports: ExportsService) {}

  @Get(':id/recipients.csv')
  @ApiOperation({
    summary: "A job's recipients as a CSV download (owner or admin)",
    description:
      'Streamed in the order given: id, phone, status, attempts, error_message, sent_at, delivery_status, delivered_at, and for personalised jobs the text each recipient was sent (content). Dates in ISO 8601 UTC. Text cells starting with = + - @ get a leading single quote (CSV formula injection); E.164 phone numbers are left as they are.',
  })
  @ApiProduces('text/csv')
  @ApiResponse({
    status: 200,
    description: 'The CSV file (Content-Disposition: attachment)',
    content: { 'text/csv': { schema: { type: 'string', example: EXAMPLE } } },
  })
  @ApiErrors(400, 404)
  recipients(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', IdParamPipe) id: number,
    @Res() res: Response,
  ): Promise<void> {
    return this.exports.recipients(user, id, res);
  }
}
