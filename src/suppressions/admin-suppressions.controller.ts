import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Authenticated, CurrentUser } from '../access/authenticated.decorator.js';
import type { AuthenticatedUser } from '../access/authenticated-user.js';
import { ApiCsvBodyErrors, ApiEnvelope, ApiErrorExample, ApiErrors } from '../common/api-docs.js';
import { AppError } from '../common/app-error.js';
import { isCsvContentType } from '../common/body-limits.js';
import {
  CreateSuppressionDto,
  SuppressionDto,
  SuppressionImportDto,
  SuppressionImportQueryDto,
  SuppressionListDto,
  SuppressionQueryDto,
} from './dto/suppression.dto.js';
import { SuppressionImportService } from './suppression-import.service.js';
import { SuppressionsService } from './suppressions.service.js';

const EXAMPLE_CSV = 'phone,reason\n+85291234567,Replied STOP\n91234568,Asked by phone\n';

@ApiTags('Admin: suppressions')
@Authenticated({ admin: true })
@Controller('api/admin/suppressions')
export class AdminSuppressionsController {
  constructor(
    private readonly suppressions: SuppressionsService,
    private readonly importer: SuppressionImportService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'The suppression list (opt-out), newest first',
    description: 'Numbers on it are never sent to: see the `suppressed` recipient state.',
  })
  @ApiEnvelope(SuppressionListDto)
  @ApiErrors(400)
  list(@Query() q: SuppressionQueryDto): Promise<SuppressionListDto> {
    return this.suppressions.list(q);
  }

  @Post()
  @ApiOperation({
    summary: 'Suppress a number',
    description:
      'Normalised to E.164 like a recipient. From now on its recipients are stored `suppressed` at submission, and SMS already waiting for it are marked `suppressed` when taken. 201 when added; 200 with the existing entry (unchanged) when it was already there.',
  })
  @ApiEnvelope(SuppressionDto, 201, 'Added')
  @ApiEnvelope(SuppressionDto, 200, 'Already on the list: the existing entry, unchanged')
  @ApiErrorExample(
    400,
    'Not a valid phone number',
    'VALIDATION_ERROR',
    'phone is too short to be a phone number',
  )
  async add(
    @CurrentUser() admin: AuthenticatedUser,
    @Body() body: CreateSuppressionDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SuppressionDto> {
    const { created, entry } = await this.suppressions.add(body, admin.id);
    res.status(created ? 201 : 200);
    return entry;
  }

  @Post('import')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Import numbers from a CSV file',
    description:
      'Body: text/csv (UTF-8, `,` or `;`, a header line naming a phone column: phone, phone_number, mobile, recipient or to; an optional reason column). Streamed, at most SMS_MAX_CSV_ROWS rows, written in one transaction. Rows with an invalid number are reported in `invalid` (the first 1 000) and skipped.',
  })
  @ApiConsumes('text/csv')
  @ApiBody({ schema: { type: 'string', example: EXAMPLE_CSV } })
  @ApiEnvelope(SuppressionImportDto, 200, 'Imported')
  @ApiErrorExample(
    400,
    'Invalid query, an unreadable CSV or no phone column',
    'VALIDATION_ERROR',
    'No phone column: the header needs one of phone, phone_number, mobile, recipient, to',
  )
  @ApiCsvBodyErrors()
  async import(
    @CurrentUser() admin: AuthenticatedUser,
    @Query() q: SuppressionImportQueryDto,
    @Req() req: Request,
  ): Promise<SuppressionImportDto> {
    if (!isCsvContentType(req.headers['content-type'] ?? '')) {
      throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Request bodies must be text/csv here');
    }
    return this.importer.import(req, admin.id, q.reason);
  }

  @Delete(':phone')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Take a number off the list',
    description:
      'The number in E.164 with its `+` URL-encoded (%2B85291234567). Only SMS submitted or taken afterwards are sent.',
  })
  @ApiParam({ name: 'phone', example: '%2B85291234567' })
  @ApiResponse({ status: 204, description: 'Removed; no body' })
  @ApiErrorExample(
    400,
    'Not a valid phone number',
    'VALIDATION_ERROR',
    'phone is too short to be a phone number',
  )
  @ApiErrorExample(404, 'The number is not on the list', 'NOT_FOUND', 'Suppression not found')
  async remove(@Param('phone') phone: string): Promise<void> {
    await this.suppressions.remove(phone);
  }
}
