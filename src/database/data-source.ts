/**
 * DataSource for the TypeORM CLI (`npm run migration:generate`). Uses DATABASE_URL, or the
 * embedded cluster that `npm start` uses.
 */
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/load-config.js';
import { dataSourceOptions } from './data-source-options.js';
import { resolveDatabase } from './resolve-database.js';

const config = loadConfig();
const db = await resolveDatabase(config, (line) => console.error(line));
process.once('beforeExit', () => void db.stop());

export default new DataSource(dataSourceOptions(db.url, 2));
