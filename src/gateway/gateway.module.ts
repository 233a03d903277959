import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { HktGateway } from './adapters/hkt.gateway.js';
import { HttpGateway } from './adapters/http.gateway.js';
import { SimulatorGateway } from './adapters/simulator.gateway.js';
import { SMS_GATEWAY, SmsGateway } from './sms-gateway.js';
import { warmUpHttpClient } from './warm-up.js';

export function createSmsGateway(config: AppConfig): SmsGateway {
  switch (config.smsProvider) {
    case 'hkt':
      return new HktGateway(config);
    case 'http':
      return new HttpGateway(config);
    case 'simulator':
      return new SimulatorGateway({
        latencyMs: config.simulatorLatencyMs,
        failureRatio: config.simulatorFailureRatio,
        logSends: config.logLevel === 'debug' || config.logLevel === 'trace',
      });
    default:
      throw new Error(`Unknown SMS provider: ${String(config.smsProvider)}`);
  }
}

/** Provides SMS_GATEWAY, the adapter chosen by SMS_PROVIDER (AppConfigModule is global). */
@Module({
  providers: [
    {
      provide: SMS_GATEWAY,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig) => {
        if (config.smsProvider !== 'simulator') await warmUpHttpClient();
        return createSmsGateway(config);
      },
    },
  ],
  exports: [SMS_GATEWAY],
})
export class GatewayModule {}
