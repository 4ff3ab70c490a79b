"""The sign-in pages: plain HTML forms that work without JavaScript.

Every value shown is escaped. Element ids are stable so browser tests can drive the pages:
``username``/``password``/``submit`` (sign-in), ``otc``/``submit`` (MFA and the device code),
``accept``/``decline`` (consent), ``continue`` (the form_post page), ``error`` (an inline error).
"""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse

_STYLE = """
body{font-family:"Segoe UI",system-ui,sans-serif;background:#f2f2f2;margin:0}
main{max-width:440px;margin:8vh auto;background:#fff;padding:44px;box-shadow:0 2px 6px #0003}
h1{font-size:24px;font-weight:600;margin:0 0 16px}
label{display:block;margin:12px 0 4px}
input[type=text],input[type=password],input[type=email]{width:100%;padding:6px 0;border:0;
border-bottom:1px solid #666;font-size:15px}
button{margin-top:24px;padding:6px 24px;font-size:15px;border:0;background:#0067b8;color:#fff}
button.secondary{background:#ccc;color:#000;margin-right:8px}
#error{color:#e81123;margin:8px 0}
.brand{color:#737373;font-size:13px;margin-bottom:12px}
ul{padding-left:20px}
"""

NO_CACHE = {
    "Cache-Control": "no-store, no-cache",
    "Pragma": "no-cache",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def page(title: str, body: str, *, error: str | None = None, status: int = 200) -> HTMLResponse:
    error_html = f'<p id="error" role="alert">{escape(error)}</p>' if error else ""
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><main>"
        '<div class="brand">partnercenter emulator &middot; Microsoft Entra ID</div>'
        f"<h1>{escape(title)}</h1>{error_html}{body}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=NO_CACHE)


def _hidden(flow_id: str, step: str) -> str:
    return (
        f'<input type="hidden" name="flow" value="{escape(flow_id)}">'
        f'<input type="hidden" name="step" value="{escape(step)}">'
    )


def signin_page(
    action: str, flow_id: str, app_name: str, login_hint: str | None, error: str | None = None
) -> HTMLResponse:
    body = (
        f"<p>to continue to <b>{escape(app_name)}</b></p>"
        f'<form method="post" action="{escape(action)}">{_hidden(flow_id, "signin")}'
        '<label for="username">Email or phone</label>'
        f'<input type="email" id="username" name="username" autocomplete="username" '
        f'value="{escape(login_hint or "")}" required autofocus>'
        '<label for="password">Password</label>'
        '<input type="password" id="password" name="password" autocomplete="current-password" '
        "required>"
        '<button type="submit" id="submit">Sign in</button></form>'
    )
    return page("Sign in", body, error=error, status=200)


def mfa_page(action: str, flow_id: str, upn: str, error: str | None = None) -> HTMLResponse:
    body = (
        f"<p>{escape(upn)}</p><p>Enter the code displayed in your authenticator app.</p>"
        f'<form method="post" action="{escape(action)}">{_hidden(flow_id, "mfa")}'
        '<label for="otc">Code</label>'
        '<input type="text" id="otc" name="otc" inputmode="numeric" autocomplete="one-time-code" '
        'pattern="[0-9 ]*" required autofocus>'
        '<button type="submit" id="submit">Verify</button></form>'
    )
    return page("Enter code", body, error=error)


def consent_page(
    action: str, flow_id: str, upn: str, app_name: str, client_id: str, permissions: list[str]
) -> HTMLResponse:
    items = "".join(f"<li>{escape(p)}</li>" for p in permissions)
    body = (
        f"<p>{escape(upn)}</p>"
        f"<p><b>{escape(app_name)}</b> <small>({escape(client_id)})</small> "
        "would like to:</p>"
        f'<ul id="permissions">{items}</ul>'
        "<p>Accepting lets this app use your data as described. You can change these "
        "permissions later.</p>"
        f'<form method="post" action="{escape(action)}">{_hidden(flow_id, "consent")}'
        '<button type="submit" class="secondary" id="decline" name="action" value="decline">'
        "Cancel</button>"
        '<button type="submit" id="accept" name="action" value="accept">Accept</button></form>'
    )
    return page("Permissions requested", body)


def form_post_page(redirect_uri: str, params: dict[str, str]) -> HTMLResponse:
    """``response_mode=form_post``: a form the script submits, or the user with the button."""
    fields = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in params.items()
    )
    # The button must not be named or id'd "submit": a form control with that name shadows
    # the form's submit() method (HTML "named properties" of a form), and the script would
    # throw instead of posting. Calling the prototype's submit() is immune to any such field
    # (a hidden input could be named "submit" by a redirect parameter, in principle).
    body = (
        f'<form method="post" id="response" action="{escape(redirect_uri)}">{fields}'
        "<noscript><p>Script is disabled. Select Continue.</p></noscript>"
        '<button type="submit" id="continue">Continue</button></form>'
        "<script>HTMLFormElement.prototype.submit.call("
        "document.getElementById('response'))</script>"
    )
    return page("Working...", body)


def device_code_page(action: str, error: str | None = None) -> HTMLResponse:
    body = (
        "<p>Enter the code displayed on your app or device.</p>"
        f'<form method="post" action="{escape(action)}">'
        '<label for="otc">Code</label>'
        '<input type="text" id="otc" name="otc" autocomplete="off" required autofocus>'
        '<button type="submit" id="submit">Next</button></form>'
    )
    return page("Enter code", body, error=error)


def message_page(
    title: str, message: str, *, status: int = 200, error: str | None = None
) -> HTMLResponse:
    return page(title, f'<p id="message">{escape(message)}</p>', error=error, status=status)
