import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentUser } from '../access/authenticated.decorator.js';
import type { AuthenticatedUser } from '../access/authenticated-user.js';
import { ApiEnvelope, ApiErrorExample, ApiErrors } from '../common/api-docs.js';
import { IdParamPipe } from '../common/id-param.pipe.js';
import {
  CreateTemplateDto,
  TemplateDto,
  TemplateListDto,
  TemplateQueryDto,
  UpdateTemplateDto,
} from './dto/template.dto.js';
import { TemplatesService } from './templates.service.js';

const NotYours = () =>
  ApiErrorExample(404, "No such template, or another user's", 'NOT_FOUND', 'Template not found');
const BadContent = () =>
  ApiErrorExample(
    400,
    'Invalid body, or content with an unclosed {{, a stray }} or a bad placeholder name (details give the position)',
    'VALIDATION_ERROR',
    'content: "{{" without a closing "}}" at position 5',
  );

@ApiTags('Templates')
@Authenticated()
@Controller('api/templates')
export class TemplatesController {
  constructor(private readonly templates: TemplatesService) {}

  @Post()
  @ApiOperation({ summary: 'Create a template (version 1)' })
  @ApiEnvelope(TemplateDto, 201, 'Created')
  @BadContent()
  create(
    @CurrentUser() user: AuthenticatedUser,
    @Body() body: CreateTemplateDto,
  ): Promise<TemplateDto> {
    return this.templates.create(user.id, body);
  }

  @Get()
  @ApiOperation({
    summary: "The caller's templates, newest first",
    description: "Admins may add all=true for everyone's, with their owners.",
  })
  @ApiEnvelope(TemplateListDto)
  @ApiErrors(400)
  @ApiErrorExample(403, 'all=true from a non-admin', 'FORBIDDEN', 'Admin role required')
  list(
    @CurrentUser() user: AuthenticatedUser,
    @Query() q: TemplateQueryDto,
  ): Promise<TemplateListDto> {
    return this.templates.list(user, q);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One template, as its current version' })
  @ApiEnvelope(TemplateDto)
  @ApiErrors(400)
  @NotYours()
  get(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', IdParamPipe) id: number,
  ): Promise<TemplateDto> {
    return this.templates.get(user.id, id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change a template: a new version',
    description:
      'version + 1 on every update. Jobs already made from the template keep the text they were rendered to.',
  })
  @ApiEnvelope(TemplateDto)
  @BadContent()
  @NotYours()
  update(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', IdParamPipe) id: number,
    @Body() body: UpdateTemplateDto,
  ): Promise<TemplateDto> {
    return this.templates.update(user.id, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a template and its versions',
    description: 'Jobs made from it keep their text, template_id and template_version.',
  })
  @ApiResponse({ status: 204, description: 'Deleted; no body' })
  @ApiErrors(400)
  @NotYours()
  async delete(
    @CurrentUser() user: AuthenticatedUser,
    @Param('id', IdParamPipe) id: number,
  ): Promise<void> {
    await this.templates.delete(user.id, id);
  }
}
