"""The dashboard's stylesheet (inline, allowed by the page's CSP nonce)."""

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f6f7f9}
header{background:#243a5e;color:#fff;padding:.6em 1.2em;display:flex;gap:2em;align-items:center;
flex-wrap:wrap}
header h1{font-size:1.2em;margin:0}header a{color:#cfe3ff;margin-right:.8em}
main{padding:0 1.2em 2em}section{background:#fff;border:1px solid #dde1e6;border-radius:6px;
padding:.4em 1em 1em;margin:1em 0;overflow-x:auto}
h2{font-size:1.1em;border-bottom:1px solid #eee;padding-bottom:.3em}h3{font-size:1em}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #eee;vertical-align:top}
th{background:#f0f2f5}code,pre{font:12px ui-monospace,monospace}
pre{background:#f4f5f7;padding:.5em;white-space:pre-wrap;word-break:break-all;max-height:24em;
overflow:auto}
.badge{padding:1px 6px;border-radius:8px;font-size:12px}.good{background:#dff3e4;color:#17612c}
.bad{background:#fde4e1;color:#8a1f11}.muted{color:#666}.error{color:#a31515}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:1em}
label{display:block;margin:.25em 0}input,select,textarea{font:inherit}
textarea{width:100%;font:12px ui-monospace,monospace}
.login{max-width:28em;margin:4em auto;background:#fff;padding:1em 2em 2em;border-radius:6px;
border:1px solid #dde1e6}.login input{width:100%}.inline{display:inline}
tr.s4 td,tr.s5 td{background:#fff4f2}
"""
