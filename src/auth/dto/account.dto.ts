import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsNotEmpty, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

export class ConfirmPasswordDto {
  @ApiProperty({
    example: 'my current password',
    description: "The caller's current password: a stolen session alone cannot mint a token",
    maxLength: 200,
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  password: string;
}

export class ChangePasswordDto {
  @ApiProperty({ example: 'my current password', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  current_password: string;

  @ApiProperty({ example: 'a new long password', minLength: 8, maxLength: 200 })
  @IsString()
  @MinLength(8)
  @MaxLength(200)
  new_password: string;
}

/** `?all=true` / `?all=false`; anything else stays a string and fails @IsBoolean. */
const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' ? true : value === 'false' ? false : value;

export class LogoutQueryDto {
  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description: 'true: end every session of the caller, on every device (the API token stays)',
  })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  all?: boolean;
}
