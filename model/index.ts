export * from './time';
export * from './domain';
export * from './batch';
export * from './kube-values';
