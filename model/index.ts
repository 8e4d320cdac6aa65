export * from './time';
export * from './domain';
export * from './batch';
