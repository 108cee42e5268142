// Catalog templates: what a user can launch, and how an agent should run it.
import { type Static, Type } from "@sinclair/typebox"
import { Timestamp, Uuid } from "./common.ts"

export const TemplateName = Type.String({ minLength: 2, maxLength: 63, pattern: "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$" })

export const Resources = Type.Object(
  {
    cpu: Type.Number({ exclusiveMinimum: 0, maximum: 64, description: "CPU cores, e.g. 0.5" }),
    memory: Type.Integer({ minimum: 64, maximum: 262144, description: "Memory in MiB" }),
  },
  { additionalProperties: false },
)
export type Resources = Static<typeof Resources>

const templateFields = {
  name: TemplateName,
  displayName: Type.String({ minLength: 1, maxLength: 128 }),
  description: Type.String({ maxLength: 2000, default: "" }),
  category: Type.String({ minLength: 1, maxLength: 64 }),
  tags: Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { maxItems: 32, default: [] }),
  icon: Type.String({ maxLength: 2048, default: "", description: "URL or data: URI of the catalog icon" }),
  image: Type.String({ minLength: 1, maxLength: 512 }),
  vncPort: Type.Integer({ minimum: 1, maximum: 65535, default: 5900 }),
  resources: Resources,
  // additionalProperties makes TypeBox check the key pattern at all (a Record alone accepts any key).
  env: Type.Record(Type.String({ pattern: "^[A-Za-z_][A-Za-z0-9_]*$" }), Type.String(), {
    default: {},
    additionalProperties: false,
  }),
  homePath: Type.String({ pattern: "^/", default: "/home/user" }),
  allowOutbound: Type.Boolean({ default: false, description: "Let the session reach the network" }),
  enabled: Type.Boolean({ default: true }),
}

export const TemplateInput = Type.Object(
  {
    ...templateFields,
    description: Type.Optional(templateFields.description),
    tags: Type.Optional(templateFields.tags),
    icon: Type.Optional(templateFields.icon),
    vncPort: Type.Optional(templateFields.vncPort),
    env: Type.Optional(templateFields.env),
    homePath: Type.Optional(templateFields.homePath),
    allowOutbound: Type.Optional(templateFields.allowOutbound),
    enabled: Type.Optional(templateFields.enabled),
  },
  { additionalProperties: false },
)
export type TemplateInput = Static<typeof TemplateInput>

export const UpdateTemplate = Type.Partial(Type.Omit(TemplateInput, ["name"]), {
  additionalProperties: false,
  minProperties: 1,
})
export type UpdateTemplate = Static<typeof UpdateTemplate>

export const Template = Type.Object({
  id: Uuid,
  ...templateFields,
  createdAt: Timestamp,
  updatedAt: Timestamp,
})
export type Template = Static<typeof Template>

export const TemplateQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 100, description: "Search in name, display name and description" })),
  category: Type.Optional(Type.String({ maxLength: 64 })),
  tag: Type.Optional(Type.String({ maxLength: 32 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
})
export type TemplateQuery = Static<typeof TemplateQuery>

/** A catalog file (YAML or JSON) that an admin imports in one go. */
export const CatalogFile = Type.Object({
  templates: Type.Array(TemplateInput, { minItems: 1, maxItems: 1000 }),
})
export type CatalogFile = Static<typeof CatalogFile>

export const CatalogImportResult = Type.Object({
  created: Type.Integer(),
  updated: Type.Integer(),
  names: Type.Array(Type.String()),
})
export type CatalogImportResult = Static<typeof CatalogImportResult>
