/**
 * @module @lanyard/broker
 *
 * The Lanyard broker: composes core, a store and the configured connectors behind the HTTP
 * interface of DESIGN.md. `startBroker` is what `lanyard serve` and the test suites call.
 */
export { startBroker, type RunningBroker, type StartOptions } from './broker.js'
export { loadConfig, type BrokerConfig } from './config/load.js'
export { checkConfiguration, type ConfigCheck } from './config/check.js'
export { errorMapping, problemType, type OAuthErrorCode } from './http/error-mapping.js'
export { checkDefinition, loadConnector } from './connectors/load-plugin.js'
export { openApiDocument } from './http/openapi.js'
