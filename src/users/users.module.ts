import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdminBootstrapService } from './admin-bootstrap.service.js';
import { FirstAdminRepository } from './first-admin.repository.js';
import { AdminUsersController } from './admin-users.controller.js';
import { ApiTokenCache } from './api-token-cache.js';
import { UserEntity } from './user.entity.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([UserEntity])],
  controllers: [AdminUsersController],
  // The cache lives with the writes that must empty it; auth reads it and keeps it in sync.
  providers: [UsersService, AdminBootstrapService, FirstAdminRepository, ApiTokenCache],
  exports: [UsersService, ApiTokenCache],
})
export class UsersModule {}
