import { Injectable, PipeTransform } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AppError, validationError } from '../common/app-error.js';
import { validationDetails } from '../common/envelope.filter.js';
import { MAX_RECEIPTS, ReceiptDto } from './dto/receipt.dto.js';

/** One receipt or an array of up to 1 000, each validated like any DTO; always an array out. */
@Injectable()
export class ReceiptsBodyPipe implements PipeTransform<unknown, ReceiptDto[]> {
  transform(body: unknown): ReceiptDto[] {
    const list = Array.isArray(body) ? body : [body];
    if (list.length === 0) throw validationError('At least one receipt is required');
    if (list.length > MAX_RECEIPTS) {
      throw new AppError(413, 'PAYLOAD_TOO_LARGE', `At most ${MAX_RECEIPTS} receipts per request`);
    }
    return list.map((item, i) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        throw validationError('Each receipt must be an object', [
          { field: `[${i}]`, message: 'must be an object' },
        ]);
      }
      const dto = plainToInstance(ReceiptDto, item);
      const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true });
      if (errors.length > 0) {
        const prefix = Array.isArray(body) ? `[${i}]` : '';
        throw validationError('Request validation failed', validationDetails(errors, prefix));
      }
      return dto;
    });
  }
}
