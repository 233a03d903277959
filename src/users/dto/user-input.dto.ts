import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';

export const USERNAME_RULE = /^[A-Za-z0-9_.-]{3,64}$/;

/** Absent means "default" or "leave as is"; null is a wrong type like any other (not "clear"). */
const present = (_: object, v: unknown) => v !== undefined;

export const MIN_WEIGHT = 1;
export const MAX_WEIGHT = 100;

/** `can_send_urgent` in a create or change request (absent: false, or unchanged). */
const UrgentRightInput = (doc: { example: boolean; default?: boolean }) =>
  applyDecorators(
    ApiPropertyOptional({
      ...doc,
      description:
        'May mark jobs urgent (adhoc: true or priority: "urgent"): the urgent lane is served before every normal SMS. Admins always may; without it such a request answers 403.',
    }),
    ValidateIf(present),
    IsBoolean(),
  );

/** `weight` in a create or change request (absent: 1, or unchanged). */
const WeightInput = (doc: { example: number; default?: number }) =>
  applyDecorators(
    ApiPropertyOptional({
      ...doc,
      type: 'integer',
      minimum: MIN_WEIGHT,
      maximum: MAX_WEIGHT,
      description:
        'Share of the sending rate inside a lane, relative to the weights of the other users with SMS waiting (integer 1-100): a user of weight 3 gets three times the SMS of a user of weight 1 while both wait.',
    }),
    ValidateIf(present),
    IsInt(),
    Min(MIN_WEIGHT),
    Max(MAX_WEIGHT),
  );

export class CreateUserDto {
  @ApiProperty({
    example: 'alice',
    pattern: USERNAME_RULE.source,
    description: 'Unique regardless of case',
  })
  @IsString()
  @Matches(USERNAME_RULE, {
    message: 'username must be 3-64 letters, digits, dots, dashes or underscores',
  })
  username: string;

  @ApiProperty({ example: 'correct horse battery staple', minLength: 8, maxLength: 200 })
  @IsString()
  @MinLength(8)
  @MaxLength(200)
  password: string;

  @ApiPropertyOptional({ example: false, default: false })
  @IsOptional()
  @IsBoolean()
  is_admin?: boolean;

  @UrgentRightInput({ example: false, default: false })
  can_send_urgent?: boolean;

  @WeightInput({ example: 1, default: 1 })
  weight?: number;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ example: 'a new long password', minLength: 8, maxLength: 200 })
  @ValidateIf(present)
  @IsString()
  @MinLength(8)
  @MaxLength(200)
  password?: string;

  @ApiPropertyOptional({
    example: false,
    description: 'false disables the account: all its tokens stop working',
  })
  @ValidateIf(present)
  @IsBoolean()
  is_active?: boolean;

  @ApiPropertyOptional({ example: true })
  @ValidateIf(present)
  @IsBoolean()
  is_admin?: boolean;

  @UrgentRightInput({ example: true })
  can_send_urgent?: boolean;

  @WeightInput({ example: 3 })
  weight?: number;
}
