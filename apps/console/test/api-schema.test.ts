import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { apiSchemaSource } from '../scripts/api-schema.js'

it("the console's checked-in API types are generated from the broker's current OpenAPI document", async () => {
  const checkedIn = readFileSync(new URL('../src/api/schema.d.ts', import.meta.url), 'utf8')
  expect(checkedIn, 'run: pnpm --filter @lanyard/console generate:api').toBe(await apiSchemaSource())
})
