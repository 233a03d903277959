import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentUser } from '../auth/authenticated.decorator.js';
import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import { ApiEnvelope, ApiErrors } from '../common/api-docs.js';
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
    const { user, token } = await this.users.create({ ...body, isAdmin: body.is_admin });
    return { user: UserDto.from(user), token };
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change password, active flag or admin role (not your own active/admin flags)',
  })
  @ApiEnvelope(UserDto)
  @ApiErrors(400, 404, 409)
  async update(
    @CurrentUser() actor: AuthenticatedUser,
    @Param('id', IdParamPipe) id: number,
    @Body() body: UpdateUserDto,
  ): Promise<UserDto> {
    const changes = { password: body.password, isActive: body.is_active, isAdmin: body.is_admin };
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
  @ApiOperation({ summary: "Regenerate a user's API token (the old one stops working)" })
  @ApiEnvelope(TokenDto, 201)
  @ApiErrors(400, 404)
  async rotateToken(@Param('id', IdParamPipe) id: number): Promise<TokenDto> {
    return { token: await this.users.rotateToken(id) };
  }
}
