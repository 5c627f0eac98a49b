// Evaluates recorded DynamoDB requests against a policy with a real IAM evaluator (@cloud-copilot/iam-simulate).
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { DynamoRequest } from './dynamo-requests.js';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const ARN = { account: ACCOUNT, region: REGION } as const;
const PRINCIPAL = `arn:aws:iam::${ACCOUNT}:role/service`;

/** IAM's verdict on one request. */
export type Verdict = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

/** The ARN IAM authorizes a request against: the table's, or its index's for an index query or scan. */
export function resourceOf(request: DynamoRequest): string {
  const table = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${request.table}`;
  return request.index === undefined ? table : `${table}/index/${request.index}`;
}

/**
 * What IAM decides for `request` under `policy` attached to a role tagged `tags`. Fails on a
 * simulation error (an invalid policy, action or context key) instead of calling it a denial.
 */
export async function verdict(
  policy: unknown,
  request: DynamoRequest,
  tags: Record<string, string> = {},
): Promise<Verdict> {
  const context: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(tags)) context[`aws:PrincipalTag/${k}`] = v;
  if (request.leadingKeys.length > 0) context['dynamodb:LeadingKeys'] = request.leadingKeys;
  const result = await runSimulation(
    {
      identityPolicies: [{ name: 'dbkit', policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        principal: PRINCIPAL,
        action: `dynamodb:${request.action}`,
        resource: { accountId: ACCOUNT, resource: resourceOf(request) },
        contextVariables: context,
      },
    },
    {},
  );
  if (result.resultType === 'error')
    throw new Error(`iam-simulate rejected the simulation: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

/** Each distinct request (action, resource, leading keys) with IAM's verdict, for readable assertions. */
export async function verdicts(
  policy: unknown,
  requests: readonly DynamoRequest[],
  tags: Record<string, string> = {},
): Promise<Map<string, Verdict>> {
  const out = new Map<string, Verdict>();
  for (const r of requests) {
    const id = `${r.action} ${resourceOf(r)} [${r.leadingKeys.join(',')}]`;
    if (!out.has(id)) out.set(id, await verdict(policy, r, tags));
  }
  return out;
}
