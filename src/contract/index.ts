/**
 * The contract: the single source of every API shape (TypeBox), its types, its codes and its route
 * table. A leaf: it imports nothing from the rest of src. The server registers its routes from it
 * and serves the OpenAPI document it gives; the typed client (src/client) and the web UI use it.
 */
export * from './codes.js';
export * from './schemas.js';
export * from './policy.js';
export * from './routes.js';
export * from './stream.js';
export * from './ops.js';
