// Stands in for `whatwg-url` in the agent bundle. node-fetch 2 (client-node 1.x's HTTP client) imports it
// only as a fallback for runtimes without a WHATWG `URL`; Node's own is used instead, and the bundle
// sheds the package's Unicode tables (about 6 MB of resident memory).
module.exports = { URL: globalThis.URL, URLSearchParams: globalThis.URLSearchParams };
