import { ArgumentMetadata, DynamicModule, Module, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { AuthModule } from './auth/auth.module.js';
import { EnvelopeExceptionFilter, validationDetails } from './common/envelope.filter.js';
import { EnvelopeInterceptor } from './common/envelope.interceptor.js';
import { AppError } from './common/app-error.js';
import { ClockModule } from './common/clock.module.js';
import { standInBody } from './common/elements-checked-later.js';
import { CsvModule } from './csv/csv.module.js';
import { ExportsModule } from './exports/exports.module.js';
import { AppConfig } from './config/app-config.js';
import { AppConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { MessagesModule } from './messages/messages.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { QueueModule } from './queue/queue.module.js';
import { ReceiptsModule } from './receipts/receipts.module.js';
import { StatusModule } from './status/status.module.js';
import { SuppressionsModule } from './suppressions/suppressions.module.js';
import { TemplatesModule } from './templates/templates.module.js';
import { UsersModule } from './users/users.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

/**
 * Path params reach their own pipes (IdParamPipe) as the raw string: the stock primitive
 * conversion (`+'1.0'`, `+' 1'`, `+'0x1A'`) would turn junk ids into valid ones.
 */
class AppValidationPipe extends ValidationPipe {
  protected override transformPrimitive(value: unknown, metadata: ArgumentMetadata): unknown {
    return metadata.type === 'param' ? value : super.transformPrimitive(value, metadata);
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const parts = metadata.type === 'body' ? standInBody(metadata.metatype, value) : null;
    if (!parts) return super.transform(value, metadata);
    const dto: unknown = await super.transform(parts.standIn, metadata);
    return Object.assign(dto as object, parts.held);
  }
}

const validationPipe = new AppValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  transform: true,
  exceptionFactory: (errors) =>
    new AppError(400, 'VALIDATION_ERROR', 'Request validation failed', validationDetails(errors)),
});

@Module({})
export class AppModule {
  /** The whole application for one resolved configuration (its databaseUrl must be set). */
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        DatabaseModule,
        ClockModule,
        MetricsModule,
        ScheduleModule.forRoot(),
        UsersModule,
        AuthModule,
        HealthModule,
        MessagesModule,
        TemplatesModule,
        CsvModule,
        SuppressionsModule,
        ExportsModule,
        StatusModule,
        QueueModule.forRole(config.queueRole),
        WebhooksModule.forRole(config.queueRole),
        ReceiptsModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: EnvelopeExceptionFilter },
        { provide: APP_INTERCEPTOR, useClass: EnvelopeInterceptor },
        { provide: APP_PIPE, useValue: validationPipe },
      ],
    };
  }
}
