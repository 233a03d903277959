import { ApiProperty } from '@nestjs/swagger';
import { MAX_WEIGHT, MIN_WEIGHT } from './user-input.dto.js';

/** A user as the API shows it: never a hash. */
export class UserDto {
  @ApiProperty({ example: 7 }) id: number;
  @ApiProperty({ example: 'alice' }) username: string;
  @ApiProperty({ example: false }) is_admin: boolean;
  @ApiProperty({ example: true }) is_active: boolean;
  @ApiProperty({
    example: false,
    description:
      'May mark jobs urgent (adhoc: true or priority: "urgent"). Admins may whatever this says.',
  })
  can_send_urgent: boolean;
  @ApiProperty({
    type: 'integer',
    example: 1,
    minimum: MIN_WEIGHT,
    maximum: MAX_WEIGHT,
    description:
      "Share of the sending rate inside a lane, relative to other waiting users' weights",
  })
  weight: number;
  @ApiProperty({ example: '2026-11-28T09:30:00.000Z' }) created_at: string;

  static from(u: {
    id: number;
    username: string;
    isAdmin: boolean;
    isActive: boolean;
    canSendUrgent: boolean;
    weight: number;
    createdAt: Date;
  }): UserDto {
    return {
      id: u.id,
      username: u.username,
      is_admin: u.isAdmin,
      is_active: u.isActive,
      can_send_urgent: u.canSendUrgent,
      weight: u.weight,
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
