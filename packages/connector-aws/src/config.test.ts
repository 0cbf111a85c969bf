import { describe, expect, test } from 'vitest'
import { awsConfig, endpointsOf } from './config.js'
import { awsTarget } from './target.js'
import { awsScopes } from './scopes.js'

describe('AWS partitions', () => {
  test.each(['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f'])('%s: role ARNs and resource items are accepted', (partition) => {
    expect(awsTarget.safeParse({ roleArn: `arn:${partition}:iam::111122223333:role/agents` }).success).toBe(true)
    expect(awsScopes.isKnown(`resource:arn:${partition}:s3:::reports/*`)).toBe(true)
  })

  test('an unknown partition is refused, naming the ones accepted', () => {
    const result = awsTarget.safeParse({ roleArn: 'arn:aws-moon:iam::111122223333:role/agents' })
    expect(result.success).toBe(false)
    expect(result.error?.issues[0]?.message).toMatch(/partition one of aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f/)
    expect(awsScopes.isKnown('resource:arn:aws-moon:s3:::reports/*')).toBe(false)
  })
})

describe('endpoints', () => {
  test('STS and IAM apart (a VPC endpoint for STS, FIPS for IAM); each falls back to endpoint', () => {
    const apart = awsConfig.parse({ endpoints: { sts: 'https://vpce-0a1b-sts.us-east-1.vpce.amazonaws.com', iam: 'https://iam-fips.amazonaws.com' } })
    expect(endpointsOf(apart)).toEqual({ sts: 'https://vpce-0a1b-sts.us-east-1.vpce.amazonaws.com', iam: 'https://iam-fips.amazonaws.com' })
    expect(endpointsOf(awsConfig.parse({ endpoint: 'http://127.0.0.1:4566', endpoints: { sts: 'https://sts-fips.us-east-1.amazonaws.com' } }))).toEqual({
      sts: 'https://sts-fips.us-east-1.amazonaws.com',
      iam: 'http://127.0.0.1:4566',
    })
    expect(endpointsOf(awsConfig.parse({}))).toEqual({})
  })

  test('plain http only to loopback; unknown members refused', () => {
    expect(awsConfig.safeParse({ endpoints: { sts: 'http://sts.example.com' } }).success).toBe(false)
    expect(awsConfig.safeParse({ endpoints: { ec2: 'https://ec2.amazonaws.com' } }).success).toBe(false)
  })
})
