/**
 * Who removed capacity from a cluster: one name for the evaluator's removal model
 * (lambdas/evaluator/removals.ts, scale-in.ts), the rules' advice and the `CapacityRemovals` metric's `Actor`
 * dimension. Few values on purpose: each one a cluster ever sees is a billed custom metric.
 */
export const REMOVAL_ACTORS = [
  /** An Auto Scaling group took the instance out of service: an alarm, a schedule, Cluster Autoscaler, a person's terminate request. */
  'auto-scaling',
  /** Karpenter disruption: consolidation, drift, expiry, emptiness, node repair. */
  'karpenter',
  /** EKS Auto Mode (Karpenter run by AWS): the same, on an Auto Mode node. */
  'eks-auto-mode',
  /** EC2 reclaimed Spot capacity. */
  'spot-interruption',
  /** An instance that failed: an EC2 or ELB health check replaced it, or it went NotReady and away. */
  'ec2-health',
  /** A person (or a tool) cordoned and drained a node. */
  'drain',
] as const;

export type RemovalActor = (typeof REMOVAL_ACTORS)[number];
