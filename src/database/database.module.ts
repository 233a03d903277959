import { Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { dataSourceOptions, runMigrationsLocked } from './data-source-options.js';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        if (!config.databaseUrl) throw new Error('databaseUrl must be resolved before boot');
        return dataSourceOptions(config.databaseUrl, config.databasePoolSize);
      },
      dataSourceFactory: async (options) => {
        const ds = await new DataSource(options!).initialize();
        const logger = new Logger('Database');
        await runMigrationsLocked(ds, (line) => logger.log(line));
        return ds;
      },
    }),
  ],
})
export class DatabaseModule {}
