import { Injectable } from '@nestjs/common';
import type { AuthenticatedUser } from '../access/authenticated-user.js';
import { AppError, notFound, validationError } from '../common/app-error.js';
import { pageMeta } from '../common/pagination.dto.js';
import {
  CreateTemplateDto,
  TemplateDto,
  TemplateListDto,
  TemplateQueryDto,
  UpdateTemplateDto,
} from './dto/template.dto.js';
import { parseTemplate, ParsedTemplate, PlaceholderError } from './placeholders.js';
import { TemplateRow, TemplatesRepository } from './templates.repository.js';

/** A template as a job is made from it: its parsed text and the version it was. */
export interface TemplateForJob {
  id: number;
  version: number;
  content: string;
  parsed: ParsedTemplate;
}

function toTemplate(t: TemplateRow, admin = false): TemplateDto {
  return {
    id: t.id,
    name: t.name,
    content: t.content,
    placeholders: t.placeholders,
    version: t.version,
    created_at: t.created_at.toISOString(),
    updated_at: t.updated_at.toISOString(),
    ...(admin ? { user_id: t.user_id, owner_username: t.owner_username ?? null } : {}),
  };
}

/** The parsed text, or 400 naming the field and where the problem is. */
export function parseOrRefuse(content: string, field = 'content'): ParsedTemplate {
  try {
    return parseTemplate(content);
  } catch (e) {
    if (!(e instanceof PlaceholderError)) throw e;
    throw validationError(`${field}: ${e.message}`, [
      { field, message: e.message, position: e.position },
    ]);
  }
}

/**
 * Templates (CONTENT.md), each its owner's alone: another user's answers 404, as if it did
 * not exist. Admins may list everyone's.
 */
@Injectable()
export class TemplatesService {
  constructor(private readonly repo: TemplatesRepository) {}

  async create(userId: number, dto: CreateTemplateDto): Promise<TemplateDto> {
    const parsed = parseOrRefuse(dto.content);
    const row = await this.repo.create(userId, {
      name: dto.name,
      content: dto.content,
      placeholders: parsed.placeholders,
    });
    return toTemplate(row);
  }

  async list(user: AuthenticatedUser, q: TemplateQueryDto): Promise<TemplateListDto> {
    const all = q.all === 'true';
    if (all && !user.isAdmin) throw new AppError(403, 'FORBIDDEN', 'Admin role required');
    const { items, total } = await this.repo.list(
      { userId: all ? undefined : user.id, q: q.q, withOwner: all },
      (q.page - 1) * q.per_page,
      q.per_page,
    );
    return { templates: items.map((t) => toTemplate(t, all)), ...pageMeta(total, q) };
  }

  async get(userId: number, id: number): Promise<TemplateDto> {
    return toTemplate(await this.owned(userId, id));
  }

  async update(userId: number, id: number, dto: UpdateTemplateDto): Promise<TemplateDto> {
    const current = await this.owned(userId, id);
    const content = dto.content ?? current.content;
    const parsed = parseOrRefuse(content);
    const row = await this.repo.update(id, userId, {
      name: dto.name ?? current.name,
      content,
      placeholders: parsed.placeholders,
    });
    if (!row) throw notFound('Template');
    return toTemplate(row);
  }

  async delete(userId: number, id: number): Promise<void> {
    if (!(await this.repo.delete(id, userId))) throw notFound('Template');
  }

  /** The caller's template as a job is made from it now (404 when not theirs). */
  async forJob(userId: number, id: number): Promise<TemplateForJob> {
    const row = await this.repo.find(id, userId);
    if (!row) throw notFound('Template');
    return {
      id: row.id,
      version: row.version,
      content: row.content,
      parsed: parseTemplate(row.content),
    };
  }

  private async owned(userId: number, id: number): Promise<TemplateRow> {
    const row = await this.repo.find(id, userId);
    if (!row) throw notFound('Template');
    return row;
  }
}
