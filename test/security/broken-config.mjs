// A `dbkit iam` config whose declarations are malformed: the command must fail with exit code 1.
export const dynamodb = { access: 'not an array' };
