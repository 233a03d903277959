import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import { AppError } from '../common/app-error.js';
import { UserEntity } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { decoyHash, verifyPassword } from '../users/password-hasher.js';

/** Unknown user, wrong password and disabled user all get this same answer. */
const BAD_CREDENTIALS = () => new AppError(401, 'UNAUTHORIZED', 'Invalid username or password');

@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(private readonly users: UsersService) {
    super({ usernameField: 'username', passwordField: 'password' });
  }

  async validate(username: string, password: string): Promise<UserEntity> {
    const user = await this.users.findByUsername(username);
    const ok = await verifyPassword(user?.passwordHash ?? (await decoyHash()), password);
    if (!user || !ok || !user.isActive) throw BAD_CREDENTIALS();
    return user;
  }
}
