import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateIf,
} from 'class-validator';

export const USERNAME_RULE = /^[A-Za-z0-9_.-]{3,64}$/;

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
}

/** Absent means "leave as is"; null is a wrong type like any other (not "clear"). */
const present = (_: object, v: unknown) => v !== undefined;

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
}
