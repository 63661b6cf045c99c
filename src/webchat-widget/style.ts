/**
 * The widget's styles, inside its shadow root: the site's CSS can't reach in and ours can't leak
 * out. `:host { all: initial !important }` drops what the page sets on the host element (an
 * important declaration of the shadow tree beats the page's, even `* { … !important }`), and the
 * top elements set their own font and colour, so nothing is inherited from the page. On a narrow
 * screen (a phone, an app's web view) the panel fills the viewport; every control is a real
 * button, none needs hover.
 */
export const CSS = `
:host{all:initial!important;position:fixed!important;z-index:2147483000!important;right:16px!important;bottom:16px!important;display:block!important}
.launcher,.panel{font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;text-align:left}
*{box-sizing:border-box}
button{font:inherit;cursor:pointer}
.launcher{position:relative;width:56px;height:56px;border-radius:50%;border:0;background:#2457c5;color:#fff;box-shadow:0 2px 10px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center}
.launcher:focus-visible,button:focus-visible,textarea:focus-visible{outline:3px solid #f5a623;outline-offset:2px}
.badge{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#d62828;color:#fff;font-size:12px;font-weight:700;line-height:22px;text-align:center}
.badge[hidden],[hidden]{display:none!important}
.panel{position:fixed;right:16px;bottom:16px;width:370px;height:min(560px,calc(100vh - 32px));display:flex;flex-direction:column;background:#fff;border-radius:12px;box-shadow:0 6px 30px rgba(0,0,0,.3);overflow:hidden}
header{display:flex;align-items:center;gap:8px;padding:10px 12px;background:#2457c5;color:#fff}
header h2{flex:1;margin:0;font-size:16px;font-weight:600}
.icon{background:transparent;border:0;color:inherit;min-width:44px;min-height:44px;font-size:20px;border-radius:6px}
.log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f4f6f9;overscroll-behavior:contain}
.more{align-self:center;font-size:13px;color:#555;background:none;border:0;text-decoration:underline;min-height:44px}
.msg{max-width:80%;padding:8px 10px;border-radius:10px;white-space:pre-wrap;overflow-wrap:anywhere}
.msg.out{align-self:flex-start;background:#fff;border:1px solid #dde2ea}
.msg.in{align-self:flex-end;background:#2457c5;color:#fff}
.msg.in a{color:#fff}
.msg img{display:block;max-width:100%;max-height:220px;margin-top:6px;border-radius:6px}
.msg a{display:block;margin-top:4px}
.meta{display:block;margin-top:2px;font-size:11px;opacity:.75}
.typing{padding:0 12px 4px;font-size:12px;color:#555;min-height:18px;background:#f4f6f9}
.error{padding:6px 12px;font-size:13px;background:#fde8e8;color:#8a1414}
form{display:flex;align-items:flex-end;gap:6px;padding:8px;border-top:1px solid #dde2ea;background:#fff}
textarea{flex:1;resize:none;max-height:120px;min-height:44px;padding:10px;border:1px solid #c5ccd6;border-radius:8px;font:inherit;color:inherit}
.send{min-height:44px;padding:0 14px;border:0;border-radius:8px;background:#2457c5;color:#fff;font-weight:600}
.send:disabled{opacity:.6}
form .icon{color:#2457c5}
.files{padding:0 8px 6px;font-size:12px;color:#444;background:#fff}
.notify{margin:0;padding:6px 12px;font-size:13px;background:#eef3fd;border:0;border-top:1px solid #dde2ea;text-align:left;color:#2457c5;min-height:36px}
@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;height:100%;border-radius:0}}
`
