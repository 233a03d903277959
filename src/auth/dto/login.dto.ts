import { ApiProperty, PickType } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { UserDto } from '../../users/dto/user.dto.js';

export class LoginDto {
  @ApiProperty({ example: 'SMSadmin' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  username: string;

  @ApiProperty({ example: 'the password printed at first start' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  password: string;
}

/** The user part of the login answer: who logged in, their role and their sending rights. */
export class LoginUserDto extends PickType(UserDto, [
  'id',
  'username',
  'is_admin',
  'can_send_urgent',
  'weight',
] as const) {}

export class LoginResponseDto {
  @ApiProperty({
    example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOjEsInN2IjowfQ.sig',
    description: 'Session token',
  })
  token: string;
  @ApiProperty({ example: 'Bearer' }) token_type: 'Bearer';
  @ApiProperty({ example: '2026-11-28T21:30:00.000Z' }) expires_at: string;
  @ApiProperty({ type: LoginUserDto }) user: LoginUserDto;
}

export { UserDto as MeDto };
