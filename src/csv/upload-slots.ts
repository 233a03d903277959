import { Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { AppError } from '../common/app-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

/** Seconds a refused upload is told to wait before trying again. */
const RETRY_AFTER_S = 5;

/**
 * How many CSV uploads this process stores at once (SMS_MAX_CONCURRENT_UPLOADS). Each holds
 * a pooled database connection for as long as its body takes to arrive; without a cap, a
 * dozen slow uploads would leave no connection for anyone's single SMS. One more is refused
 * at once with 429 and Retry-After rather than queued behind them. Dry runs store nothing
 * and are not counted.
 */
@Injectable()
export class UploadSlots {
  private taken = 0;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** A slot, to give back with the function returned; 429 when none is free. */
  take(res: Response): () => void {
    const max = this.config.smsMaxConcurrentUploads;
    if (this.taken >= max) {
      res.setHeader('Retry-After', String(RETRY_AFTER_S));
      throw new AppError(
        429,
        'RATE_LIMITED',
        `${max} CSV upload(s) are being stored by this server already; try again in a few seconds`,
      );
    }
    this.taken++;
    let given = false;
    return () => {
      if (!given) this.taken--;
      given = true;
    };
  }
}
