import { Controller, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiExtraModels,
  ApiOperation,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Authenticated, CurrentUser } from '../access/authenticated.decorator.js';
import type { AuthenticatedUser } from '../access/authenticated-user.js';
import { ApiCsvBodyErrors, ApiEnvelope, ApiErrorExample, ApiErrors } from '../common/api-docs.js';
import { AppError } from '../common/app-error.js';
import { isCsvContentType } from '../common/body-limits.js';
import { CsvUploadService } from './csv-upload.service.js';
import { UploadSlots } from './upload-slots.js';
import { CsvAcceptedDto, CsvQueryDto, CsvReportDto } from './dto/csv.dto.js';

const EXAMPLE_CSV = 'phone,name,date\n+85291234567,Chan,3 Dec\n+85291234568,Wong,4 Dec\n';

@ApiTags('Messages')
@Authenticated()
@Controller('api/sms')
export class CsvController {
  constructor(
    private readonly csv: CsvUploadService,
    private readonly slots: UploadSlots,
  ) {}

  @Post('send-csv')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Queue a personalised bulk from a CSV file',
    description:
      "Body: text/csv in UTF-8 (a BOM allowed), `,` or `;` found from the header line, RFC 4180 quoting. The header names a phone column (phone, phone_number, mobile, recipient or to, any case); the other columns are the placeholders' values. The body is streamed, never held whole (valid rows go straight into PostgreSQL with COPY; the job is made from them in the same transaction, so any failure, a client gone mid-upload included, queues nothing); at most SMS_MAX_CSV_ROWS rows (413 above), records of at most 64 KiB. Bytes that are not UTF-8 are 400 naming their row. dry_run=true answers the report (200) and queues nothing; otherwise any invalid row is 400 (details: the first 1 000 invalid rows) and nothing is queued, unless skip_invalid=true.",
  })
  @ApiConsumes('text/csv')
  @ApiBody({ schema: { type: 'string', example: EXAMPLE_CSV } })
  @ApiEnvelope(CsvAcceptedDto, 202, 'Queued; the report of the upload included')
  @ApiExtraModels(CsvReportDto)
  @ApiResponse({
    status: 200,
    description: 'dry_run=true: the report; nothing queued',
    schema: {
      type: 'object',
      properties: {
        success: { type: 'boolean', example: true },
        data: { $ref: getSchemaPath(CsvReportDto) },
      },
    },
  })
  @ApiErrorExample(
    400,
    'Invalid query, an unreadable CSV (not UTF-8: details name the row), no phone column, a record over 64 KiB, a body cut short, or invalid rows without skip_invalid (details name each row and column)',
    'VALIDATION_ERROR',
    '2 invalid row(s); nothing was queued (skip_invalid=true queues the valid ones)',
  )
  @ApiErrorExample(404, 'template_id is not one of yours', 'NOT_FOUND', 'Template not found')
  @ApiCsvBodyErrors()
  @ApiErrorExample(
    429,
    'SMS_MAX_CONCURRENT_UPLOADS uploads are being stored by this server already (Retry-After says when to try again); dry runs are not counted',
    'RATE_LIMITED',
    '2 CSV upload(s) are being stored by this server already; try again in a few seconds',
  )
  @ApiErrors(422)
  async sendCsv(
    @CurrentUser() user: AuthenticatedUser,
    @Query() q: CsvQueryDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CsvReportDto | CsvAcceptedDto> {
    const hasBody =
      Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'];
    if (hasBody && !isCsvContentType(req.headers['content-type'] ?? '')) {
      throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Request bodies must be text/csv here');
    }
    const release = q.dry_run ? () => undefined : this.slots.take(res);
    try {
      const answer = await this.csv.upload(user, q, req);
      if (q.dry_run) res.status(200);
      return answer;
    } finally {
      release();
    }
  }
}
