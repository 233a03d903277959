import { AppConfig } from '../../config/app-config.js';
import { postToGateway } from '../http-post.js';
import { SmsGateway, SmsGatewayAnswer, SmsSendRequest } from '../sms-gateway.js';

/** The HKT-style gateway: a form POST with `application`, `mrt`, `sender` and `msg_utf8`. */
export class HktGateway implements SmsGateway {
  readonly name = 'hkt';

  constructor(private readonly config: AppConfig) {}

  send(req: SmsSendRequest, signal?: AbortSignal): Promise<SmsGatewayAnswer> {
    const form = new URLSearchParams({
      application: this.config.smsApplicationId ?? '',
      mrt: req.to.replace(/^\+/, ''),
      sender: this.config.smsSenderNumber ?? '',
      msg_utf8: req.text,
    });
    return postToGateway(
      {
        url: this.config.smsBaseUrl ?? '',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
        timeoutMs: this.config.smsRequestTimeoutMs,
      },
      signal,
      req.mayStart,
    );
  }
}
