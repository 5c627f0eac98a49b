// A `dbkit iam` config as a service would write it: the example's DynamoDB access and a MongoDB collection's.
import { z } from 'zod';
import { defineCollection } from '../../src/mongo/collection.js';
import { collectionAccess } from '../../src/mongo/roles.js';
import { exampleAccess } from './example-access.js';

export const dynamodb = {
  access: exampleAccess('app'),
  verifiesTables: true,
  settings: { tags: { team: 'payments' } },
};

const Posts = defineCollection({ name: 'posts', schema: z.object({ title: z.string() }) });
export const mongodb = { db: 'blog', access: [collectionAccess(Posts, ['create', 'paginate', 'update'])] };
