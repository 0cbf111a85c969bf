import { memoryConnector } from '@lanyard/connector-sdk'
import { connectorConformance } from '@lanyard/connector-sdk/testing'
import { memorySetup } from './memory-setup.js'

connectorConformance({ connector: memoryConnector, name: 'memory connector (revoke by ref)', setup: () => memorySetup('ref') })
connectorConformance({ connector: memoryConnector, name: 'memory connector (revoke by revocationSecret)', setup: () => memorySetup('secret') })
