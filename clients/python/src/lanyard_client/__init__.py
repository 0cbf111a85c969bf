"""lanyard-client: the agent side of Lanyard, for Python.

An agent signs in to the broker with its key file (or a federated workload token), exchanges
for short-lived credentials of one system at a time, and hands them to boto3, requests or
httpx. Standard library plus ``cryptography``; thread-safe. See README.md.
"""

from .auth import BearerAuth, httpx_auth
from .aws import aws_metadata
from .client import GRANT_TYPE_JWT_BEARER, GRANT_TYPE_TOKEN_EXCHANGE, SYSTEM_RESOURCE_PREFIX, TOKEN_TYPE_JWT, AgentClient, Credential
from . import errors
from .errors import *  # noqa: F403 (the typed errors, as errors.__all__ lists them)
from .federation import github_actions_token
from .mcp import discover_resource, mcp_auth
from .keys import AgentKey, jwk_thumbprint, load_key, load_key_file

__version__ = "0.1.0"

__all__ = [
    "AgentClient",
    "Credential",
    "BearerAuth",
    "httpx_auth",
    "aws_metadata",
    "github_actions_token",
    "mcp_auth",
    "discover_resource",
    "AgentKey",
    "jwk_thumbprint",
    "load_key",
    "load_key_file",
    *errors.__all__,
    "GRANT_TYPE_JWT_BEARER",
    "GRANT_TYPE_TOKEN_EXCHANGE",
    "TOKEN_TYPE_JWT",
    "SYSTEM_RESOURCE_PREFIX",
]
