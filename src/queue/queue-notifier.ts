import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import pg from 'pg';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

const RECONNECT_MS = 2000;
/** A pseudo-channel: its handlers run whenever the connection is (re-)established. */
export const RECONNECTED = Symbol('reconnected');
/** A pseudo-channel: its handlers run when the connection is lost (notifications may be missed). */
export const LOST = Symbol('lost');
type Channel = string | typeof RECONNECTED | typeof LOST;

/**
 * A dedicated connection that LISTENs on PostgreSQL channels and calls back on NOTIFY, one
 * per process. For the queue notifications only speed things up: the worker also polls, so a
 * lost connection (it is re-opened) costs latency, never work. The API-token cache trusts its
 * entries only while `connected`, and empties itself on LOST and RECONNECTED.
 */
@Injectable()
export class QueueNotifier implements OnModuleDestroy {
  private readonly logger = new Logger('QueueNotifier');
  private client?: pg.Client;
  private closed = false;
  private retry?: NodeJS.Timeout;
  /** Callers that listen at once (two bootstrap hooks) share one connection attempt. */
  private connecting?: Promise<void>;
  private readonly handlers = new Map<Channel, Set<(payload: string) => void>>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Up, with LISTEN in effect on each channel whose listen() has resolved. */
  get connected(): boolean {
    return this.client !== undefined;
  }

  async listen(channel: Channel, handler: (payload: string) => void): Promise<void> {
    const set = this.handlers.get(channel) ?? new Set();
    set.add(handler);
    this.handlers.set(channel, set);
    if (typeof channel !== 'string') return;
    if (this.client) await this.client.query(`LISTEN "${channel}"`);
    else await this.reconnect();
  }

  private reconnect(): Promise<void> {
    return (this.connecting ??= this.connect().finally(() => (this.connecting = undefined)));
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({
      connectionString: this.config.databaseUrl,
      application_name: 'smspanel-listen',
    });
    client.on('notification', (n) =>
      this.handlers.get(n.channel)?.forEach((h) => h(n.payload ?? '')),
    );
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      for (const channel of this.handlers.keys()) {
        if (typeof channel === 'string') await client.query(`LISTEN "${channel}"`);
      }
      this.client = client;
      // Anything notified while we were away is picked up by the callers' catch-up.
      this.handlers.get(RECONNECTED)?.forEach((h) => h(''));
    } catch (err) {
      this.lost(client, err);
    }
  }

  private lost(client: pg.Client, err?: unknown): void {
    if (this.client === client) this.client = undefined;
    this.handlers.get(LOST)?.forEach((h) => h(''));
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    if (this.closed || this.retry) return;
    if (err) this.logger.warn(`LISTEN connection lost (${(err as Error).message}); reconnecting`);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.reconnect();
    }, RECONNECT_MS);
    this.retry.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }
}
