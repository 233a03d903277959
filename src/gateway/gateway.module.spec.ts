import { describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { AppConfigModule } from '../config/config.module.js';
import { loadConfig } from '../config/load-config.js';
import { GatewayModule } from './gateway.module.js';
import { SMS_GATEWAY, SmsGateway } from './sms-gateway.js';

describe(GatewayModule.name, () => {
  it.each(['simulator', 'hkt', 'http'])('provides the %s adapter', async (provider) => {
    const config = loadConfig({ SMS_PROVIDER: provider, SMS_BASE_URL: 'http://127.0.0.1:9/send' });
    const moduleRef = await Test.createTestingModule({
      imports: [AppConfigModule.forRoot(config), GatewayModule],
    }).compile();
    expect(moduleRef.get<SmsGateway>(SMS_GATEWAY).name).toBe(provider);
    await moduleRef.close();
  });
});
