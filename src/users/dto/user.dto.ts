import { ApiProperty } from '@nestjs/swagger';

/** A user as the API shows it: never a hash. */
export class UserDto {
  @ApiProperty({ example: 7 }) id: number;
  @ApiProperty({ example: 'alice' }) username: string;
  @ApiProperty({ example: false }) is_admin: boolean;
  @ApiProperty({ example: true }) is_active: boolean;
  @ApiProperty({ example: '2026-11-28T09:30:00.000Z' }) created_at: string;

  static from(u: {
    id: number;
    username: string;
    isAdmin: boolean;
    isActive: boolean;
    createdAt: Date;
  }): UserDto {
    return {
      id: u.id,
      username: u.username,
      is_admin: u.isAdmin,
      is_active: u.isActive,
      created_at: u.createdAt.toISOString(),
    };
  }
}

export class UserListDto {
  @ApiProperty({ type: [UserDto] }) users: UserDto[];
  @ApiProperty({ example: 42 }) total: number;
  @ApiProperty({ example: 3 }) pages: number;
  @ApiProperty({ example: 1 }) current_page: number;
}

export class TokenDto {
  @ApiProperty({
    example: 'smsp_Q2xhdWRlIHdhcyBoZXJlIGFuZCBsZWZ0IGEgdG9rZW4gZm9yIHlvdQ',
    description: 'The API token in full. It is shown only now: only a hash is stored.',
  })
  token: string;
}

export class CreatedUserDto {
  @ApiProperty({ type: UserDto }) user: UserDto;
  @ApiProperty({
    example: 'smsp_Q2xhdWRlIHdhcyBoZXJlIGFuZCBsZWZ0IGEgdG9rZW4gZm9yIHlvdQ',
    description: 'API token, shown once',
  })
  token: string;
}
