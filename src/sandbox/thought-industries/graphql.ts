/** @module The read-only Thought Industries GraphQL endpoint (/incoming/api/graphql), built on graphql-js. */

import type { FastifyInstance } from 'fastify';
import {
  GraphQLBoolean,
  GraphQLError,
  GraphQLID,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  type GraphQLNullableType,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  graphql,
} from 'graphql';
import type { SandboxContext } from '../kit/server.js';
import { DEFAULT_PER_PAGE, enrollmentBody, MAX_PER_PAGE, pageOf, TI_UNDOCUMENTED } from './routes.js';
import { enrollmentsOf, type TiState, type TiUser } from './state.js';

export const GRAPHQL_PATH = '/incoming/api/graphql';

interface GraphQLContext {
  state: TiState;
  page: SandboxContext<TiState>['page'];
}

const nonNull = <T extends GraphQLNullableType>(type: T) => new GraphQLNonNull(type);

const enrollmentType = new GraphQLObjectType({
  name: 'Enrollment',
  fields: {
    courseId: { type: nonNull(GraphQLID) },
    status: { type: nonNull(GraphQLString), description: 'not_started, in_progress or completed' },
    completedAt: { type: GraphQLString },
  },
});

/** The User type. `enrollments` is not in the guide: only with the `graphql-enrollments` flag. */
function userType(enrollments: boolean): GraphQLObjectType<TiUser, GraphQLContext> {
  return new GraphQLObjectType<TiUser, GraphQLContext>({
    name: 'User',
    fields: {
      id: { type: nonNull(GraphQLID) },
      email: { type: nonNull(GraphQLString) },
      firstName: { type: GraphQLString },
      lastName: { type: GraphQLString },
      active: { type: nonNull(GraphQLBoolean) },
      role: { type: GraphQLString },
      ssoId: { type: GraphQLString },
      avatarUrl: { type: GraphQLString },
      language: { type: GraphQLString },
      lastActiveAt: { type: GraphQLString },
      groups: { type: nonNull(new GraphQLList(nonNull(GraphQLID))) },
      createdAt: { type: nonNull(GraphQLString) },
      updatedAt: { type: nonNull(GraphQLString) },
      customFields: {
        type: nonNull(GraphQLString),
        description: 'The custom fields object, JSON-encoded',
        resolve: (user) => JSON.stringify(user.customFields),
      },
      ...(enrollments
        ? {
            enrollments: {
              type: nonNull(new GraphQLList(nonNull(enrollmentType))),
              resolve: (user: TiUser, _args: unknown, context: GraphQLContext) =>
                enrollmentsOf(context.state, user.id).map(enrollmentBody),
            },
          }
        : {}),
    },
  });
}

/**
 * Queries only: there is no Mutation type, so writes must go through REST. The guide shows `users(page: 1)`;
 * `perPage` (25 by default, 100 at most) comes with the `graphql-enrollments` flag, like `User.enrollments`.
 */
export function buildSchema(options: { enrollments: boolean }): GraphQLSchema {
  const user = userType(options.enrollments);
  const queryType = new GraphQLObjectType<unknown, GraphQLContext>({
    name: 'Query',
    fields: {
      users: {
        type: nonNull(new GraphQLList(nonNull(user))),
        args: {
          page: { type: GraphQLInt, defaultValue: 1 },
          ...(options.enrollments ? { perPage: { type: GraphQLInt, defaultValue: DEFAULT_PER_PAGE } } : {}),
        },
        resolve: (_root, args: { page: number; perPage?: number }, context) => {
          const perPage = args.perPage ?? DEFAULT_PER_PAGE;
          if (args.page < 1) throw new GraphQLError('page must be a positive integer');
          if (perPage < 1) throw new GraphQLError('perPage must be a positive integer');
          const paging = { page: args.page, perPage: Math.min(perPage, MAX_PER_PAGE) };
          return pageOf('graphql:users', context.state.users, paging, context.page);
        },
      },
      user: {
        type: user,
        args: { id: { type: nonNull(GraphQLID) } },
        resolve: (_root, args: { id: string }, context) => context.state.usersById.get(args.id) ?? null,
      },
    },
  });
  return new GraphQLSchema({ query: queryType });
}

const requestBody = (body: unknown) => {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  const { query, variables, operationName } = body as Record<string, unknown>;
  if (typeof query !== 'string' || query.trim() === '') return null;
  if (
    variables !== undefined &&
    variables !== null &&
    (typeof variables !== 'object' || Array.isArray(variables))
  )
    return null;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
  return {
    query,
    variables: (variables ?? undefined) as Record<string, unknown> | undefined,
    operationName: operationName ?? undefined,
  };
};

export function registerGraphql(app: FastifyInstance, ctx: SandboxContext<TiState>): void {
  const schema = buildSchema({ enrollments: ctx.undocumented(TI_UNDOCUMENTED.graphqlEnrollments) });
  // GraphQL User Query: POST {query, variables}; same API key as REST. Request errors (no query, a syntax or
  // validation error) are a 400 with `errors`; anything that executed is a 200, possibly with `errors`.
  app.post(GRAPHQL_PATH, async (request, reply) => {
    const body = requestBody(request.body);
    if (!body) {
      return reply.code(400).send({ errors: [{ message: 'Body must be JSON with a "query" string' }] });
    }
    const result = await graphql({
      schema,
      source: body.query,
      variableValues: body.variables,
      operationName: body.operationName,
      contextValue: { state: ctx.state, page: ctx.page } satisfies GraphQLContext,
    });
    return reply.code('data' in result ? 200 : 400).send(result);
  });
}
