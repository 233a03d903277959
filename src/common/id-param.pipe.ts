import { Injectable, PipeTransform } from '@nestjs/common';
import { validationError } from './app-error.js';

const MAX_ID = 2_147_483_647;

/** Path ids are positive integers that fit a PostgreSQL integer; anything else is a 400. */
@Injectable()
export class IdParamPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    if (!/^[0-9]{1,10}$/.test(value) || Number(value) < 1 || Number(value) > MAX_ID) {
      throw validationError('id must be a positive integer', [
        { field: 'id', value, message: 'id must be a positive integer' },
      ]);
    }
    return Number(value);
  }
}
