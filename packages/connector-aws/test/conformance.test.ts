import { connectorConformance } from '@lanyard/connector-sdk/testing'
import { awsConnector } from '../src/index.js'
import { conformanceSetup } from './aws-setup.js'

connectorConformance({ connector: awsConnector, name: 'aws connector (web identity)', setup: () => conformanceSetup('web-identity') })
connectorConformance({ connector: awsConnector, name: 'aws connector (assume-role)', setup: () => conformanceSetup('assume-role') })
