import { UserEntity } from '../users/user.entity.js';

/** Every TypeORM entity; listed explicitly for the same reason as migrations/index.ts. */
export const allEntities = [UserEntity];
