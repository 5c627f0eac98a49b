// The seed's Mongoose schemas (User from "Mongoose Schemas"; Post and Comment from its document model), with dbkitPlugin.
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- Mongoose declares schema type options as a class, but its documented (and the seed's) form is an object literal. */
import mongoose from 'mongoose';
import type { Connection } from 'mongoose';
import { dbkitPlugin } from '../../src/mongoose/index.js';
import type { DbkitPluginOptions } from '../../src/mongoose/index.js';

/** Builds fresh schemas and models on `conn`, each with the plugin and `options`. */
export function seedModels(conn: Connection, options: DbkitPluginOptions) {
  const { Schema } = mongoose;
  const userSchema = new Schema(
    {
      name: {
        type: String,
        required: [true, 'Name is required'],
        trim: true,
        maxlength: [200, 'Name cannot exceed 200 characters'],
      },
      email: {
        type: String,
        required: true,
        unique: true,
        lowercase: true,
        trim: true,
        validate: {
          validator: (v: string) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v),
          message: 'Invalid email format',
        },
      },
      role: { type: String, enum: ['user', 'admin', 'moderator'], default: 'user' },
      addresses: [
        {
          label: { type: String, required: true },
          street: { type: String, required: true },
          city: { type: String, required: true },
          country: { type: String, required: true },
        },
      ],
    },
    { timestamps: true },
  );
  userSchema.index({ role: 1 });
  userSchema.index({ createdAt: -1 });
  userSchema.plugin(dbkitPlugin, options);

  const postSchema = new Schema(
    {
      title: { type: String, required: true },
      content: { type: String, required: true },
      authorId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
      tags: [String],
      likeCount: { type: Number, default: 0 },
      seq: Number,
    },
    { timestamps: { createdAt: true, updatedAt: false } },
  );
  postSchema.index({ authorId: 1, createdAt: -1 });
  postSchema.plugin(dbkitPlugin, options);

  const commentSchema = new Schema(
    {
      postId: { type: Schema.Types.ObjectId, ref: 'Post', required: true },
      authorId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
      content: { type: String, required: true },
    },
    { timestamps: { createdAt: true, updatedAt: false } },
  );
  commentSchema.plugin(dbkitPlugin, options);

  return {
    User: conn.model('User', userSchema),
    Post: conn.model('Post', postSchema),
    Comment: conn.model('Comment', commentSchema),
  };
}
