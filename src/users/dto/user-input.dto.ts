import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';

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

export class UpdateUserDto {
  @ApiPropertyOptional({ example: 'a new long password', minLength: 8, maxLength: 200 })
  @IsOptional()
  @IsString()
  @MinLength(8)
  @MaxLength(200)
  password?: string;

  @ApiPropertyOptional({
    example: false,
    description: 'false disables the account: all its tokens stop working',
  })
  @IsOptional()
  @IsBoolean()
  is_active?: boolean;

  @ApiPropertyOptional({ example: true })
  @IsOptional()
  @IsBoolean()
  is_admin?: boolean;
}
