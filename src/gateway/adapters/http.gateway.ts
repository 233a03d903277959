import { AppConfig } from '../../config/app-config.js';
import { postToGateway } from '../http-post.js';
import { SmsGateway, SmsGatewayAnswer, SmsSendRequest } from '../sms-gateway.js';

/** A generic JSON webhook: POST `{to, text}`, with a bearer token when SMS_API_SECRET is set. */
export class HttpGateway implements SmsGateway {
  readonly name = 'http';

  constructor(private readonly config: AppConfig) {}

  async send(req: SmsSendRequest, signal?: AbortSignal): Promise<SmsGatewayAnswer> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.config.smsApiSecret) headers.authorization = `Bearer ${this.config.smsApiSecret}`;
    const answer = await postToGateway(
      {
        url: this.config.smsBaseUrl ?? '',
        headers,
        body: JSON.stringify({ to: req.to, text: req.text }),
        timeoutMs: this.config.smsRequestTimeoutMs,
      },
      signal,
      req.mayStart,
    );
    return { ...answer, messageId: gatewayMessageId(answer.body) };
  }
}

/** `{"id": ...}` or `{"message_id": ...}` in a JSON answer (WEBHOOKS.md, delivery receipts). */
export function gatewayMessageId(body: string): string | undefined {
  if (!body.trimStart().startsWith('{')) return undefined;
  try {
    const json = JSON.parse(body) as { id?: unknown; message_id?: unknown };
    const id = json.message_id ?? json.id;
    if ((typeof id === 'string' && id !== '') || typeof id === 'number') {
      return String(id).slice(0, 200);
    }
  } catch {
    // not JSON (or cut at 500 characters): no id
  }
  return undefined;
}
