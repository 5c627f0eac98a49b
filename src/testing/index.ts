// dbkit/testing: real local engines (PostgreSQL, DynamoDB Local, FerretDB, mongo-java-server) for tests.
export * from './engines/index.js';
export * from './faults/index.js';
export * from './kit/index.js';
