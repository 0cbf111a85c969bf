/** GitHub's REST error body: `{ message, documentation_url }`, plus `status` on newer endpoints. */
export class GitHubError extends Error {
  readonly status: number
  readonly documentationUrl: string
  readonly headers: Readonly<Record<string, string>>

  constructor(status: number, message: string, options: { documentationUrl?: string; headers?: Record<string, string> } = {}) {
    super(message)
    this.name = 'GitHubError'
    this.status = status
    this.documentationUrl = options.documentationUrl ?? 'https://docs.github.com/rest'
    this.headers = options.headers ?? {}
  }

  body(): Record<string, string> {
    return { message: this.message, documentation_url: this.documentationUrl, status: String(this.status) }
  }
}

/** The messages GitHub sends; clients (octokit's auth-app clock-skew retry) match on some of them. */
export const messages = {
  notFound: 'Not Found',
  badCredentials: 'Bad credentials',
  requiresAuthentication: 'Requires authentication',
  jwtUndecodable: 'A JSON web token could not be decoded',
  integrationNotFound: 'Integration not found',
  iatInvalid: "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
  expInPast: "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
  expTooFar: "'Expiration time' claim ('exp') is too far in the future",
  repositoryNotAccessible: 'There is at least one repository that does not exist or is not accessible to the parent installation.',
  permissionsNotGranted: 'The permissions requested are not granted to this installation.',
  tooManyRepositories: 'Too many repositories; limit 500',
  notAccessibleByIntegration: 'Resource not accessible by integration',
  invalidRequest: 'Invalid request.',
  problemsParsingJson: 'Problems parsing JSON',
  secondaryRateLimit:
    'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.',
  primaryRateLimit: 'API rate limit exceeded for installation.',
} as const
