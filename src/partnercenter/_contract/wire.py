"""Wire constants shared by the library and the emulator.

Both sides import these names so that the emulator and the SDK agree by construction:
the resource URIs and application ids of the APIs Partner Center developers talk to, the
grant types and client-assertion type of the OAuth 2.0 token endpoint, and the header
names of the Partner Center REST API. Sources:
https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow and https://learn.microsoft.com/partner-center/developer/headers.
"""

from __future__ import annotations

from typing import Final

#: The Partner Center API's resource URI (v1 ``resource=``; v2 scopes hang off it).
PARTNER_CENTER_RESOURCE: Final = "https://api.partnercenter.microsoft.com"
#: The Partner Center API's application id in every tenant.
PARTNER_CENTER_APP_ID: Final = "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd"
#: The Partner Center API root in the China (21Vianet) cloud.
PARTNER_CENTER_RESOURCE_CHINA: Final = "https://partner.partnercenterapi.microsoftonline.cn"

#: Azure AD Graph: the seed's historical app-only audience, refused by Partner Center since 2025.
AAD_GRAPH_RESOURCE: Final = "https://graph.windows.net"
AAD_GRAPH_APP_ID: Final = "00000002-0000-0000-c000-000000000000"
#: Microsoft Graph.
MS_GRAPH_RESOURCE: Final = "https://graph.microsoft.com"
MS_GRAPH_APP_ID: Final = "00000003-0000-0000-c000-000000000000"

#: The delegated permission a Partner Center app + user token carries.
USER_IMPERSONATION: Final = "user_impersonation"
#: The v2 suffix that asks for every application permission the app holds (app-only).
DEFAULT_SCOPE_SUFFIX: Final = "/.default"
#: v2 scopes that are about the sign-in itself rather than a resource.
OIDC_SCOPES: Final = frozenset({"openid", "profile", "offline_access", "email"})

GRANT_CLIENT_CREDENTIALS: Final = "client_credentials"
GRANT_REFRESH_TOKEN: Final = "refresh_token"
GRANT_AUTHORIZATION_CODE: Final = "authorization_code"
GRANT_DEVICE_CODE: Final = "urn:ietf:params:oauth:grant-type:device_code"
GRANT_PASSWORD: Final = "password"

#: RFC 7523 client authentication with a signed JWT (certificate credentials).
CLIENT_ASSERTION_TYPE_JWT: Final = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

#: Token endpoint paths under ``/{tenant}``.
TOKEN_PATH_V1: Final = "oauth2/token"
TOKEN_PATH_V2: Final = "oauth2/v2.0/token"

#: Tenant segments that name no single tenant.
MULTI_TENANT_SEGMENTS: Final = frozenset({"common", "organizations", "consumers"})

#: The issuer of v1-shaped access tokens (Partner Center's are v1 whichever endpoint issued them).
V1_ISSUER_TEMPLATE: Final = "https://sts.windows.net/{tenant_id}/"

#: Partner Center REST headers.
HEADER_REQUEST_ID: Final = "MS-RequestId"
HEADER_CORRELATION_ID: Final = "MS-CorrelationId"
HEADER_CONTRACT_VERSION: Final = "MS-Contract-Version"
HEADER_LOCALE: Final = "X-Locale"
HEADER_APPLICATION: Final = "MS-PartnerCenter-Application"
HEADER_CLIENT: Final = "MS-PartnerCenter-Client"
HEADER_CONTINUATION_TOKEN: Final = "MS-ContinuationToken"
