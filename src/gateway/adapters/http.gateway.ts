import { AppConfig } from '../../config/app-config.js';
import { postToGateway } from '../gateway-http.js';
import { SmsGateway, SmsGatewayAnswer, SmsSendRequest } from '../sms-gateway.js';

/** A generic JSON webhook: POST `{to, text}`, with a bearer token when SMS_API_SECRET is set. */
export class HttpGateway implements SmsGateway {
  readonly name = 'http';

  constructor(private readonly config: AppConfig) {}

  send(req: SmsSendRequest, signal?: AbortSignal): Promise<SmsGatewayAnswer> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.config.smsApiSecret) headers.authorization = `Bearer ${this.config.smsApiSecret}`;
    return postToGateway(
      {
        url: this.config.smsBaseUrl ?? '',
        headers,
        body: JSON.stringify({ to: req.to, text: req.text }),
        timeoutMs: this.config.smsRequestTimeoutMs,
      },
      signal,
    );
  }
}
