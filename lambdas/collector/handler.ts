// Entry point placeholder: replaced by the issue that builds this handler.
export const handler = async (): Promise<never> => {
  throw new Error('lambdas/collector/handler.ts is not built yet');
};
