// An IAM policy as a CloudFormation `AWS::IAM::ManagedPolicy` resource, ARNs resolved by `Fn::Sub`.
import type { IamPolicyDocument } from './iam-policy.js';

/** A CloudFormation value: a string, or `Fn::Sub` of one. */
type CfnString = string | { 'Fn::Sub': string };

/**
 * Options of {@link cloudFormationPolicy}.
 *
 * @example
 * ```ts
 * cloudFormationPolicy(policy, { logicalId: 'ApiTablePolicy', roles: [{ Ref: 'ApiRole' }] })
 * ```
 */
export interface CloudFormationPolicyOptions {
  /** The resource's logical id. Default `DbkitServicePolicy`. */
  logicalId?: string;
  description?: string;
  /** Roles to attach the policy to: names, or `{ Ref: 'ServiceRole' }`. */
  roles?: readonly (string | { Ref: string })[];
}

const CFN_REFERENCE = /\$\{(?!aws:|dynamodb:|cognito-identity\.amazonaws\.com:)[^}]+\}/;

/**
 * Wraps a policy in an `AWS::IAM::ManagedPolicy` resource for a CloudFormation (or CDK `CfnInclude`)
 * template; resources holding `${AWS::...}` or parameter references become `Fn::Sub`.
 *
 * @example
 * ```ts
 * const resources = cloudFormationPolicy(serviceIamPolicy({ access, arn: cloudFormationArns }), {
 *   roles: [{ Ref: 'ServiceRole' }],
 * })
 * ```
 */
export function cloudFormationPolicy(
  policy: IamPolicyDocument,
  options: CloudFormationPolicyOptions = {},
): Record<string, { Type: 'AWS::IAM::ManagedPolicy'; Properties: Record<string, unknown> }> {
  const sub = (s: string): CfnString => (CFN_REFERENCE.test(s) ? { 'Fn::Sub': s } : s);
  const document = {
    Version: policy.Version,
    Statement: policy.Statement.map((s) => ({ ...s, Resource: s.Resource.map(sub) })),
  };
  const properties: Record<string, unknown> = { PolicyDocument: document };
  if (options.description !== undefined) properties.Description = options.description;
  if (options.roles !== undefined) properties.Roles = [...options.roles];
  return {
    [options.logicalId ?? 'DbkitServicePolicy']: { Type: 'AWS::IAM::ManagedPolicy', Properties: properties },
  };
}
