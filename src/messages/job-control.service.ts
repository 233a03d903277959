import { Injectable } from '@nestjs/common';
import type { AuthenticatedUser } from '../access/authenticated-user.js';
import { pageMeta, PaginationQueryDto } from '../common/pagination.dto.js';
import { QueueControlService } from '../queue/queue-control.service.js';
import { EstimatesService } from '../status/estimates.service.js';
import { DeadLetterListDto, MessageDetailDto } from './dto/message.dto.js';
import { toDetail } from './message.mapper.js';
import { MessagesRepository } from './messages.repository.js';

/** Cancel and retry for the job's owner or an admin; the dead-letter view for admins. */
@Injectable()
export class JobControlService {
  constructor(
    private readonly control: QueueControlService,
    private readonly messages: MessagesRepository,
    private readonly estimates: EstimatesService,
  ) {}

  /** Admins act on any job; a user only on their own (anyone else's is "not found"). */
  private scope(caller: AuthenticatedUser): number | undefined {
    return caller.isAdmin ? undefined : caller.id;
  }

  async cancel(caller: AuthenticatedUser, id: number): Promise<MessageDetailDto> {
    await this.control.cancel(id, this.scope(caller));
    return this.detail(id);
  }

  async retry(caller: AuthenticatedUser, id: number): Promise<MessageDetailDto> {
    await this.control.retry(id, this.scope(caller));
    return this.detail(id);
  }

  private async detail(id: number): Promise<MessageDetailDto> {
    const row = (await this.messages.findById(id))!;
    return toDetail(row, await this.estimates.forJob(id));
  }

  async deadLetters(q: PaginationQueryDto): Promise<DeadLetterListDto> {
    const { items, total } = await this.control.deadLetters((q.page - 1) * q.per_page, q.per_page);
    return {
      recipients: items.map((r) => ({
        id: Number(r.id),
        message_id: r.message_id,
        phone: r.phone,
        attempts: r.attempts,
        error_message: r.error_message,
        failed_at: r.failed_at.toISOString(),
        owner_id: r.owner_id,
        owner_username: r.owner_username,
      })),
      ...pageMeta(total, q),
    };
  }
}
