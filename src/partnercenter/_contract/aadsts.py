"""The catalog of Azure AD (Microsoft Entra ID) ``AADSTS`` errors this project knows.

One entry per code: the OAuth ``error`` it travels with, the HTTP status Azure AD answers with,
the message template (``{name}`` placeholders are filled by whoever raises it) and a hint that
names the fix. The emulator renders its wire errors from these entries and the library reads
them back to classify failures and to explain them, so both sides agree by construction.

Codes marked *(emulator's choice)* in ``docs/decisions.md`` were picked where Microsoft's
reference is silent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class AadstsCode:
    """One AADSTS error: its number, OAuth error, HTTP status, message template and fix."""

    code: int
    error: str
    status: int
    message: str
    hint: str = ""
    suberror: str | None = None

    def format(self, **values: object) -> str:
        """The ``AADSTSnnnn: message`` line with the placeholders filled in.

        A placeholder with no value is left as ``{name}`` rather than raising: an error
        message must never itself fail while reporting an error.
        """
        return f"AADSTS{self.code}: {self.message.format_map(_Leave(values))}"


class _Leave(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _entry(
    code: int, error: str, status: int, message: str, hint: str = "", suberror: str | None = None
) -> AadstsCode:
    return AadstsCode(code, error, status, message, hint, suberror)


INVALID_REQUEST: Final = "invalid_request"
INVALID_CLIENT: Final = "invalid_client"
INVALID_GRANT: Final = "invalid_grant"
UNAUTHORIZED_CLIENT: Final = "unauthorized_client"
UNSUPPORTED_GRANT_TYPE: Final = "unsupported_grant_type"
INVALID_RESOURCE: Final = "invalid_resource"
INVALID_SCOPE: Final = "invalid_scope"
INTERACTION_REQUIRED: Final = "interaction_required"
TEMPORARILY_UNAVAILABLE: Final = "temporarily_unavailable"

_TENANT_NOT_FOUND_TEXT = (
    "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are "
    "signing into the correct cloud. Check with your subscription administrator, this may happen "
    "if there are no active subscriptions for the tenant."
)
_TENANT_NOT_FOUND_HINT = (
    "Check the tenant id or domain, and that the credential's cloud matches the tenant's cloud."
)
#: The discovery documents answer an unknown tenant with ``invalid_tenant``, the token endpoint
#: with ``invalid_request``: same code and text (the token endpoint's entry is the catalog's).
DISCOVERY_TENANT_NOT_FOUND: Final = _entry(
    90002, "invalid_tenant", 400, _TENANT_NOT_FOUND_TEXT, _TENANT_NOT_FOUND_HINT
)
TENANT_NOT_FOUND: Final = _entry(
    90002, INVALID_REQUEST, 400, _TENANT_NOT_FOUND_TEXT, _TENANT_NOT_FOUND_HINT
)
TENANT_INVALID: Final = _entry(
    900023,
    INVALID_REQUEST,
    400,
    "Specified tenant identifier '{tenant}' is neither a valid DNS name, nor a valid external "
    "domain.",
    "Pass the tenant as its GUID or a verified domain such as contoso.onmicrosoft.com.",
)
TENANT_MULTI_FOR_APP_ONLY: Final = _entry(
    50059,
    INVALID_REQUEST,
    400,
    "No tenant-identifying information found in either the request or implied by any provided "
    "credentials.",
    "App-only tokens are issued by one tenant: use its GUID or domain, not common/organizations.",
)
APP_NOT_FOUND: Final = _entry(
    700016,
    UNAUTHORIZED_CLIENT,
    400,
    "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This "
    "can happen if the application has not been installed by the administrator of the tenant or "
    "consented to by any user in the tenant. You may have sent your authentication request to "
    "the wrong tenant.",
    "Check the client id, and that the app is registered in (or consented to by) this tenant.",
)
CLIENT_ID_INVALID: Final = _entry(
    700038,
    UNAUTHORIZED_CLIENT,
    400,
    "{client_id} is not a valid application identifier.",
    "The client id is the application (client) id GUID from the app registration.",
)
INVALID_SECRET: Final = _entry(
    7000215,
    INVALID_CLIENT,
    401,
    "Invalid client secret provided. Ensure the secret being sent in the request is the client "
    "secret value, not the client secret ID, for a secret added to app '{client_id}'.",
    "Use the secret's Value (not its Secret ID) from Certificates & secrets, or create a new one.",
)
EXPIRED_SECRET: Final = _entry(
    7000222,
    INVALID_CLIENT,
    401,
    "The provided client secret keys for app '{client_id}' are expired. Visit the Azure portal "
    "to create new keys for your app: https://aka.ms/NewClientSecret, or consider using "
    "certificate credentials for added security: https://aka.ms/certCreds.",
    "The client secret has expired: create a new secret (or switch to a certificate).",
)
CREDENTIAL_MISSING: Final = _entry(
    7000218,
    INVALID_CLIENT,
    401,
    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    "Confidential apps must authenticate: pass a client secret or a certificate.",
)
PUBLIC_CLIENT_WITH_CREDENTIAL: Final = _entry(
    700025,
    INVALID_CLIENT,
    401,
    "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
    "This app is registered as a public client: drop the secret/certificate, or make the app "
    "confidential.",
)
ASSERTION_MALFORMED: Final = _entry(
    50027,
    INVALID_REQUEST,
    400,
    "JWT token is invalid or malformed. {detail}",
    "The client assertion must be a signed JWT (header.payload.signature).",
)
ASSERTION_ALGORITHM: Final = _entry(
    5002738,
    INVALID_CLIENT,
    401,
    "Invalid JWT token. '{alg}' is not a supported signature algorithm.",
    "Sign client assertions with PS256 (or RS256) using the certificate's private key.",
)
ASSERTION_TYPE_INVALID: Final = _entry(
    7000211,
    INVALID_CLIENT,
    401,
    "The client_assertion_type '{assertion_type}' is not supported; use "
    "'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.",
    "Set client_assertion_type to urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
)
ASSERTION_BAD_SIGNATURE: Final = _entry(
    700027,
    INVALID_CLIENT,
    401,
    "Client assertion failed signature validation. {detail}",
    "Upload the certificate's public part to the app registration and sign with its key; the "
    "x5t/x5t#S256 header must be the certificate's thumbprint.",
)
ASSERTION_CLIENT_MISMATCH: Final = _entry(
    700021,
    INVALID_CLIENT,
    401,
    "Client assertion application identifier doesn't match 'client_id' parameter. Review the "
    "documentation at "
    "https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
    "The assertion's iss and sub must both be the client id.",
)
ASSERTION_AUDIENCE: Final = _entry(
    700023,
    INVALID_CLIENT,
    401,
    "Client assertion audience claim does not match Realm issuer. Review the documentation at "
    "https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
    "The assertion's aud must be the token endpoint URL it is sent to.",
)
ASSERTION_TIME_RANGE: Final = _entry(
    700024,
    INVALID_CLIENT,
    401,
    "Client assertion is not within its valid time range. Current time: {now}, assertion valid "
    "from {nbf}, expiry time of assertion {exp}. Review the documentation at "
    "https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
    "Create a fresh assertion for each request and check the machine's clock.",
)
#: Emulator-only (opt-in ``reject_assertion_replay``): Entra ID accepts a reused assertion
#: while it is valid, so it has no code for this; 9990001 is outside every range it uses.
ASSERTION_REPLAYED: Final = _entry(
    9990001,
    INVALID_CLIENT,
    401,
    "The client assertion with jti '{jti}' has already been used. Create a new assertion with a "
    "unique jti for each token request.",
    "Give every client assertion a fresh jti (a new GUID) instead of reusing one.",
)
MISSING_PARAMETER: Final = _entry(
    900144,
    INVALID_REQUEST,
    400,
    "The request body must contain the following parameter: '{name}'.",
    "A required parameter is missing from the token request.",
)
POST_ONLY: Final = _entry(
    900561,
    INVALID_REQUEST,
    400,
    "The endpoint only accepts POST, OPTIONS requests. Received a {method} request.",
    "Token requests are POSTs with a form-encoded body.",
)
MALFORMED_REQUEST: Final = _entry(
    90023,
    INVALID_REQUEST,
    400,
    "The authentication service request is not valid: {detail}",
    "Send a form-encoded POST with the documented parameters.",
)
UNSUPPORTED_GRANT: Final = _entry(
    70003,
    UNSUPPORTED_GRANT_TYPE,
    400,
    "The app requested an unsupported grant type '{grant_type}'.",
    "Use one of client_credentials, refresh_token, authorization_code or device_code.",
)
INVALID_SCOPE_GENERIC: Final = _entry(
    70011,
    INVALID_SCOPE,
    400,
    "The provided value for the input parameter 'scope' is not valid. The scope {scope} is not "
    "valid.",
    "Ask for https://api.partnercenter.microsoft.com/.default (app-only) or "
    "https://api.partnercenter.microsoft.com/user_impersonation (app + user).",
)
CLIENT_CREDENTIALS_SCOPE: Final = _entry(
    1002012,
    INVALID_SCOPE,
    400,
    "The provided value for scope {scope} is not valid. Client credential flows must have a "
    "scope value with /.default suffixed to the resource identifier (application ID URI).",
    "App-only tokens take exactly one scope of the form <resource>/.default.",
)
RESOURCE_MISSING: Final = _entry(
    50001,
    INVALID_RESOURCE,
    400,
    "Resource identifier is not provided.",
    "On the v1 endpoint pass resource=https://api.partnercenter.microsoft.com.",
)
RESOURCE_ON_V2: Final = _entry(
    901002,
    INVALID_REQUEST,
    400,
    "The 'resource' request parameter is not supported.",
    "The v2.0 endpoint takes scope=<resource>/.default instead of resource=<resource>.",
)
RESOURCE_NOT_FOUND: Final = _entry(
    500011,
    INVALID_RESOURCE,
    400,
    "The resource principal named {resource} was not found in the tenant named {tenant}. This "
    "can happen if the application has not been installed by the administrator of the tenant or "
    "consented to by any user in the tenant. You might have sent your authentication request to "
    "the wrong tenant. If you expect the app to be installed, you might need to provide "
    "administrator permissions to add it. Check with the developers of the resource and "
    "application to understand what the right setup for your tenant is.",
    "Check the resource URI (Partner Center: https://api.partnercenter.microsoft.com).",
)
MFA_REQUIRED: Final = _entry(
    50076,
    INVALID_GRANT,
    400,
    "Due to a configuration change made by your administrator, or because you moved to a new "
    "location, you must use multi-factor authentication to access '{resource}'.",
    "Partner Center app + user calls need MFA: sign in interactively (browser or device code) "
    "with MFA, then use the refresh token (the secure application model).",
    suberror="basic_action",
)
MFA_ENROLL: Final = _entry(
    50079,
    INVALID_GRANT,
    400,
    "Due to a configuration change made by your administrator, or because you moved to a new "
    "location, you must enroll in multi-factor authentication to access '{resource}'.",
    "Register an MFA method for the user, then sign in again.",
    suberror="basic_action",
)
INVALID_PASSWORD: Final = _entry(
    50126,
    INVALID_GRANT,
    400,
    "Error validating credentials due to invalid username or password.",
    "Check the user name and password.",
)
ACCOUNT_LOCKED: Final = _entry(
    50053,
    INVALID_GRANT,
    400,
    "The account is locked because the user tried to sign in too many times with an incorrect "
    "user ID or password.",
    "Wait for the smart lockout to end (a minute at first, longer after repeated lockouts), "
    "then sign in with the right password.",
)
TOO_MANY_SCOPES: Final = _entry(
    28004,
    INVALID_SCOPE,
    400,
    "Provided value for the input parameter scope exceeded the number or length of scopes allowed.",
    "Request fewer scopes: one resource per request, with its permissions or /.default.",
)
USER_NOT_FOUND: Final = _entry(
    50034,
    INVALID_GRANT,
    400,
    "The user account {upn} does not exist in the {tenant} directory. To sign into this "
    "application, the account must be added to the directory.",
    "Check the user name (UPN) and the tenant.",
)
PARTNER_APP_NOT_AUTHORIZED: Final = _entry(
    90099,
    INVALID_GRANT,
    400,
    "The application '{app}' ({app_name}) has not been authorized in the tenant '{tenant}'. "
    "Applications must be authorized to access the customer tenant before partner delegated "
    "administrators can use them. Provide pre-consent or execute the appropriate Partner "
    "Center API to authorize the application.",
    "The customer has not granted your organization delegated admin rights (GDAP) that cover "
    "this application: ask the customer to accept a GDAP relationship, or call its tenant "
    "with app-only credentials the customer consented to.",
)
CONSENT_REQUIRED: Final = _entry(
    65001,
    INVALID_GRANT,
    400,
    "The user or administrator has not consented to use the application with ID '{client_id}' "
    "named '{app_name}'. Send an interactive authorization request for this user and resource.",
    "Run the one-time consent (partnercenter consent) so the user grants the app's permissions.",
    suberror="consent_required",
)
CODE_REDEEMED: Final = _entry(
    54005,
    INVALID_GRANT,
    400,
    "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use "
    "an existing refresh token.",
    "Authorization codes are single-use: start a new sign-in.",
)
CODE_VERIFIER_MISMATCH: Final = _entry(
    501481,
    INVALID_GRANT,
    400,
    "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
    "Send the code_verifier that produced the code_challenge of this sign-in.",
)
REDIRECT_URI_MISMATCH: Final = _entry(
    50011,
    INVALID_REQUEST,
    400,
    "The redirect URI '{redirect_uri}' specified in the request does not match the redirect "
    "URIs configured for the application '{client_id}'. Make sure the redirect URI sent in the "
    "request matches one added to your application in the Azure portal. Navigate to "
    "https://aka.ms/redirectUriMismatchError to learn more about how to fix this.",
    "Register the exact redirect URI on the app (Authentication blade), or use a registered one.",
)
REFRESH_TOKEN_INACTIVE: Final = _entry(
    700082,
    INVALID_GRANT,
    400,
    "The refresh token has expired due to inactivity. The token was issued on {issued} and was "
    "inactive for {inactive}.",
    "Refresh tokens expire after 90 days unused: run the consent sign-in again, and redeem the "
    "refresh token at least every few weeks (the library warns ahead of the limit).",
    suberror="bad_token",
)
GRANT_REVOKED: Final = _entry(
    50173,
    INVALID_GRANT,
    400,
    "The provided grant has expired due to it being revoked, a fresh auth token is needed. The "
    "user might have changed or reset their password.",
    "The user's grants were revoked (password change or admin action): run the consent sign-in "
    "again.",
    suberror="bad_token",
)
GRANT_EXPIRED: Final = _entry(
    70008,
    INVALID_GRANT,
    400,
    "The provided authorization code or refresh token has expired due to inactivity. Send a new "
    "interactive authorization request for this user and resource.",
    "Start a new sign-in.",
    suberror="bad_token",
)
REFRESH_TOKEN_MALFORMED: Final = _entry(
    9002313,
    INVALID_GRANT,
    400,
    "Invalid request. Request is malformed or invalid. - [{detail}]",
    "The refresh token is not one this authority issued: check it was stored whole.",
)
DEVICE_PENDING: Final = _entry(
    70016,
    "authorization_pending",
    400,
    "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
)
DEVICE_BAD_CODE: Final = _entry(
    70018,
    "bad_verification_code",
    400,
    "Invalid verification code entered.",
    "Start a new device-code sign-in.",
)
DEVICE_EXPIRED: Final = _entry(
    70019,
    "expired_token",
    400,
    "Verification code expired.",
    "The device code expired before the user signed in: start again.",
)
INVALID_INSTANCE: Final = _entry(
    50049,
    "invalid_instance",
    400,
    "Unknown or invalid instance.",
    "The authority host is not one this service answers for.",
)
SERVICE_UNAVAILABLE: Final = _entry(
    90033,
    TEMPORARILY_UNAVAILABLE,
    503,
    "A transient error has occurred. Please try again. {detail}",
    "Azure AD is busy: retry with back-off.",
)

CODE_INVALID: Final = _entry(
    70000,
    INVALID_GRANT,
    400,
    "The provided value for the '{name}' parameter is not valid. {detail}",
    "Start a new sign-in: the code is unknown, was issued to another client or redirect URI.",
)
CONSENT_DECLINED: Final = _entry(
    65004,
    "access_denied",
    400,
    "User declined to consent to access the app.",
    "The user declined the consent prompt: run the sign-in again and accept.",
)
DEVICE_DECLINED: Final = _entry(
    65004,
    "authorization_declined",
    400,
    "User declined to consent to access the app.",
    "The user declined the device-code sign-in: start again and accept.",
)
DEVICE_SLOW_DOWN: Final = _entry(
    70016,
    "slow_down",
    400,
    "OAuth 2.0 device flow error. Polling too fast: wait {interval} more seconds between polls.",
)
MFA_FAILED: Final = _entry(
    500121,
    INVALID_GRANT,
    400,
    "Authentication failed during strong authentication request.",
    "Enter the current code from the authenticator app (check the device's clock).",
)
LOGIN_REQUIRED: Final = _entry(
    50058,
    INTERACTION_REQUIRED,
    400,
    "A silent sign-in request was sent but no user is signed in.",
    "Sign in interactively (prompt=none needs an existing session).",
    suberror="login_required",
)
UNSUPPORTED_RESPONSE_TYPE: Final = _entry(
    700054,
    "unsupported_response_type",
    400,
    "response_type '{response_type}' is not enabled for the application.",
    "Use response_type=code (the authorization code flow with PKCE).",
)
INVALID_CODE_CHALLENGE_METHOD: Final = _entry(
    50148,
    INVALID_REQUEST,
    400,
    "The code_challenge_method '{method}' is not supported; use S256 (or plain).",
    "Send code_challenge_method=S256 with a base64url SHA-256 code challenge.",
)

#: Every entry, by code (a code with two entries maps to the last).
BY_CODE: Final[dict[int, AadstsCode]] = {
    entry.code: entry for entry in list(globals().values()) if isinstance(entry, AadstsCode)
}


def lookup(code: int) -> AadstsCode | None:
    """The catalog entry for ``code``, or ``None`` for a code this project does not know."""
    return BY_CODE.get(code)
