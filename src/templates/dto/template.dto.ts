import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { PaginationQueryDto } from '../../common/pagination.dto.js';

const ISO = '2026-11-28T10:00:00.000Z';
const CONTENT =
  'Dear {{name}}, your appointment is on {{date}} at {{time}}. Reply STOP to opt out.';
const CONTENT_DOC =
  'Text with {{placeholders}}: a letter or _, then up to 63 letters, digits or _, matched without regard to case (spaces inside the braces are allowed). Single braces are plain text; an unclosed {{, a stray }} or a bad name is 400 with its position. At most 10 000 characters.';
export const MAX_TEMPLATE_CONTENT = 10_000;

/** Some visible character, no control characters at all (names are one line). */
const NAME_RULE = /^(?=[\s\S]*\S)[^\u0000-\u001F\u007F]*$/;
/**
 * Some visible character; no control characters but \n, \r and \t (as in SMS content);
 * no unpaired UTF-16 surrogates (not valid UTF-8).
 */
const CONTENT_RULE =
  /^(?=[\s\S]*\S)(?:[^\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;
const NAME_MESSAGE = 'name must have a visible character and no control characters';
const CONTENT_MESSAGE =
  'content must have a visible character, no control characters but \\n, \\r and \\t, and no unpaired surrogates';

export class CreateTemplateDto {
  @ApiProperty({ example: 'Appointment reminder', minLength: 1, maxLength: 100 })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(NAME_RULE, { message: NAME_MESSAGE })
  name: string;

  @ApiProperty({ example: CONTENT, maxLength: MAX_TEMPLATE_CONTENT, description: CONTENT_DOC })
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_TEMPLATE_CONTENT)
  @Matches(CONTENT_RULE, { message: CONTENT_MESSAGE })
  content: string;
}

export class UpdateTemplateDto {
  @ApiPropertyOptional({ example: 'Appointment reminder (v2)', minLength: 1, maxLength: 100 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(NAME_RULE, { message: NAME_MESSAGE })
  name?: string;

  @ApiPropertyOptional({
    example: CONTENT,
    maxLength: MAX_TEMPLATE_CONTENT,
    description: CONTENT_DOC,
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(MAX_TEMPLATE_CONTENT)
  @Matches(CONTENT_RULE, { message: CONTENT_MESSAGE })
  content?: string;
}

export class TemplateQueryDto extends PaginationQueryDto {
  @ApiPropertyOptional({
    example: 'reminder',
    maxLength: 100,
    description: 'Name or content contains',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(/^[^\u0000]*$/, { message: 'q must not contain NUL characters' })
  q?: string;

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    example: 'true',
    description: "Admins only: everyone's templates, with their owners (403 for others)",
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  all?: 'true' | 'false';
}

export class TemplateDto {
  @ApiProperty({ example: 12 }) id: number;
  @ApiProperty({ example: 'Appointment reminder' }) name: string;
  @ApiProperty({ example: CONTENT }) content: string;
  @ApiProperty({
    type: [String],
    example: ['name', 'date', 'time'],
    description: 'Each placeholder once, as first written, in order of first use',
  })
  placeholders: string[];
  @ApiProperty({ example: 1, description: 'Starts at 1; every update adds 1' }) version: number;
  @ApiProperty({ example: ISO }) created_at: string;
  @ApiProperty({ example: ISO }) updated_at: string;
  @ApiPropertyOptional({ example: 7, description: '?all=true only' }) user_id?: number;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    example: 'alice',
    description: '?all=true only',
  })
  owner_username?: string | null;
}

export class TemplateListDto {
  @ApiProperty({ type: [TemplateDto] }) templates: TemplateDto[];
  @ApiProperty({ example: 2 }) total: number;
  @ApiProperty({ example: 1 }) pages: number;
  @ApiProperty({ example: 1 }) current_page: number;
}
