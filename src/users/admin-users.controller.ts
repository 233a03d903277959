import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentUser } from '../access/authenticated.decorator.js';
import type { AuthenticatedUser } from '../access/authenticated-user.js';
import { ApiEnvelope, ApiErrors } from '../common/api-docs.js';
import { conflict } from '../common/app-error.js';
import { IdParamPipe } from '../common/id-param.pipe.js';
import { PaginationQueryDto, pageMeta } from '../common/pagination.dto.js';
import { CreateUserDto, UpdateUserDto } from './dto/user-input.dto.js';
import { CreatedUserDto, TokenDto, UserDto, UserListDto } from './dto/user.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('Admin: users')
@Authenticated({ admin: true })
@Controller('api/admin/users')
export class AdminUsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: 'List users (no secrets)' })
  @ApiEnvelope(UserListDto)
  @ApiErrors(400)
  async list(@Query() q: PaginationQueryDto): Promise<UserListDto> {
    const { items, total } = await this.users.list(q);
    return { users: items.map(UserDto.from), ...pageMeta(total, q) };
  }

  @Post()
  @ApiOperation({ summary: 'Create a user; the answer holds its API token, shown only once' })
  @ApiEnvelope(CreatedUserDto, 201)
  @ApiErrors(400, 409)
  async create(@Body() body: CreateUserDto): Promise<CreatedUserDto> {
    const { user, token } = await this.users.create({
      username: body.username,
      password: body.password,
      isAdmin: body.is_admin,
      canSendUrgent: body.can_send_urgent,
      weight: body.weight,
    });
    return { user: UserDto.from(user), token };
  }

  @Patch(':id')
  @ApiOperation({
    summary:
      'Change password, active flag, admin role, urgent right or weight (not your own active/admin flags)',
    description:
      "A new password or disabling ends every session of the user; the user's API token stays. can_send_urgent is checked on each send request; weight is the user's share of the rate inside a lane.",
  })
  @ApiEnvelope(UserDto)
  @ApiErrors(400, 404, 409)
  async update(
    @CurrentUser() actor: AuthenticatedUser,
    @Param('id', IdParamPipe) id: number,
    @Body() body: UpdateUserDto,
  ): Promise<UserDto> {
    const changes = {
      password: body.password,
      isActive: body.is_active,
      isAdmin: body.is_admin,
      canSendUrgent: body.can_send_urgent,
      weight: body.weight,
    };
    return UserDto.from(await this.users.update(actor.id, id, changes));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a user (not yourself); their messages are kept' })
  @ApiResponse({ status: 204, description: 'Deleted; no body' })
  @ApiErrors(400, 404, 409)
  async remove(
    @CurrentUser() actor: AuthenticatedUser,
    @Param('id', IdParamPipe) id: number,
  ): Promise<void> {
    await this.users.remove(actor.id, id);
  }

  @Post(':id/token')
  @ApiOperation({
    summary: "Regenerate another user's API token (the old one stops working); shown once",
    description:
      'Not for your own token (409): that is POST /api/auth/token, which asks for your password.',
  })
  @ApiEnvelope(TokenDto, 201)
  @ApiErrors(400, 404, 409)
  async rotateToken(
    @CurrentUser() actor: AuthenticatedUser,
    @Param('id', IdParamPipe) id: number,
  ): Promise<TokenDto> {
    if (actor.id === id)
      throw conflict('Use POST /api/auth/token (with your password) for your own token');
    return { token: await this.users.rotateToken(id) };
  }

  @Delete(':id/token')
  @HttpCode(204)
  @ApiOperation({
    summary: "Revoke a user's API token: it stops working and none replaces it",
    description: 'Sessions are not affected. A new token: POST /api/admin/users/{id}/token.',
  })
  @ApiResponse({ status: 204, description: 'Revoked; no body' })
  @ApiErrors(400, 404)
  async revokeToken(@Param('id', IdParamPipe) id: number): Promise<void> {
    await this.users.revokeToken(id);
  }
}
