import { writeFileSync } from 'node:fs'
import { apiSchemaSource } from './api-schema.js'

writeFileSync(new URL('../src/api/schema.d.ts', import.meta.url), await apiSchemaSource())
