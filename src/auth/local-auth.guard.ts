import { ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { AppError } from '../common/app-error.js';
import { validationDetails } from '../common/envelope.filter.js';
import { LoginDto } from './dto/login.dto.js';

/**
 * Guards run before pipes, so the login body is validated here: a missing field is a 400
 * with details, not passport-local's bare 401.
 */
@Injectable()
export class LocalAuthGuard extends AuthGuard('local') {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<{ body: unknown }>();
    const body = plainToInstance(LoginDto, req.body ?? {});
    const errors = await validate(body, { whitelist: true, forbidNonWhitelisted: true });
    if (errors.length) {
      throw new AppError(
        400,
        'MISSING_FIELDS',
        'username and password are required',
        validationDetails(errors),
      );
    }
    return (await super.canActivate(context)) as boolean;
  }
}
