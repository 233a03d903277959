import { OmitType } from '@nestjs/swagger';
import { AdminMessageQueryDto } from '../../messages/dto/message-query.dto.js';

/** The admin listing's filters (user_id, job_status, from, to, q), without its pages. */
export class MessagesExportQueryDto extends OmitType(AdminMessageQueryDto, ['page', 'per_page']) {}
