import { Global, Module } from '@nestjs/common';
import { CLOCK, SystemClock } from './clock.js';

/** The one Clock of the application (tests override CLOCK to drive time themselves). */
@Global()
@Module({ providers: [{ provide: CLOCK, useClass: SystemClock }], exports: [CLOCK] })
export class ClockModule {}
