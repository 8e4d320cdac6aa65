/** Local mode's secret store: fixed values by secret id, behind the same interface as Secrets Manager. */
import { SecretUnusableError, type SecretSource } from '../../lambdas/notify/secrets';

export class StaticSecretSource implements SecretSource {
  /** How many times each secret was read (the cache in front of it should keep this low). */
  readonly reads = new Map<string, number>();

  constructor(private readonly secrets: Readonly<Record<string, string>>) {}

  async secretString(secretId: string): Promise<string> {
    this.reads.set(secretId, (this.reads.get(secretId) ?? 0) + 1);
    const v = this.secrets[secretId];
    if (v === undefined) throw new SecretUnusableError(`there is no secret named "${secretId}"`);
    return v;
  }
}
