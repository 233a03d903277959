import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Authenticated } from '../access/authenticated.decorator.js';
import { ApiErrors } from '../common/api-docs.js';
import { MessagesExportQueryDto } from './dto/export-query.dto.js';
import { ExportsService, MESSAGE_COLUMNS } from './exports.service.js';

const EXAMPLE =
  `${MESSAGE_COLUMNS.join(',')}\r\n` +
  '42,7,alice,completed,sent,false,Your code is 1234,false,,1,gsm7,3,3,0,0,0,0,3,0,0,' +
  '2026-11-28T10:00:00.000Z,2026-11-28T10:00:00.200Z,2026-11-28T10:00:01.000Z,,\r\n';

@ApiTags('Admin: messages')
@Authenticated({ admin: true })
@Controller('api/admin')
export class AdminExportsController {
  constructor(private readonly exports: ExportsService) {}

  @Get('messages.csv')
  @ApiOperation({
    summary: "All users' jobs as a CSV download, with the admin listing's filters",
    description:
      'Streamed newest first, every job matching user_id, job_status, from, to and q (as GET /api/admin/messages, without pages). Dates in ISO 8601 UTC. Text cells starting with = + - @ get a leading single quote (CSV formula injection).',
  })
  @ApiProduces('text/csv')
  @ApiResponse({
    status: 200,
    description: 'The CSV file (Content-Disposition: attachment)',
    content: { 'text/csv': { schema: { type: 'string', example: EXAMPLE } } },
  })
  @ApiErrors(400)
  messages(@Query() q: MessagesExportQueryDto, @Res() res: Response): Promise<void> {
    return this.exports.messages(q, res);
  }
}
