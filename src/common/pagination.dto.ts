import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';

/** Keeps OFFSET = (page - 1) × per_page an exact integer PostgreSQL accepts (no 1e+21). */
export const MAX_PAGE = 2_147_483_647;

export class PaginationQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE, default: 1, example: 1 })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE)
  page: number = 1;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20, example: 20 })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  per_page: number = 20;
}

export function pageMeta(total: number, q: PaginationQueryDto) {
  return { total, pages: Math.ceil(total / q.per_page), current_page: q.page };
}
