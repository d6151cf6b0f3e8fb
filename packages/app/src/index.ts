export { createInflow, ALL_ROLES, type Inflow, type Role } from './app.js';
export { parseConfig, ConfigSchema, envName, type Config } from './config/config.js';
export { loadConfig } from './config/load-config.js';
