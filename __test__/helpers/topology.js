'use strict'
// A global-cluster topology server for tests: `GET /global-cluster/topology` on 127.0.0.1, port 0
// (node:http, a real socket). It answers what the test set last, checks the Bearer token when
// one is required, and records every request.

const fs = require('node:fs')
const http = require('node:http')
const https = require('node:https')

/**
 * @param {{ token?: string, tls?: { cert: string, key: string } }} [options] token: answer 401
 *   unless `Authorization: Bearer <token>`; tls: serve HTTPS with these PEM files
 * @returns {Promise<{ port: number, url: string, requests: object[],
 *   setPrimary(version: number, clusters: object[]): void, setReply(status: number, body: any): void,
 *   close(): Promise<void> }>}
 */
async function startTopology({ token, tls } = {}) {
  const requests = []
  let reply = { status: 200, body: { code: 0, message: '', data: { version: 0, clusters: [] } } }
  const handler = (req, res) => {
    requests.push({ method: req.method, url: req.url, authorization: req.headers.authorization, t: Date.now() })
    let status = reply.status
    let body = reply.body
    if (req.method !== 'GET' || req.url !== '/global-cluster/topology') {
      status = 404
      body = `no route ${req.method} ${req.url}`
    } else if (token !== undefined && req.headers.authorization !== `Bearer ${token}`) {
      status = 401
      body = { code: 80001, message: 'invalid token' }
    }
    const text = typeof body === 'string' ? body : JSON.stringify(body)
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' })
    res.end(text)
  }
  const server = tls
    ? https.createServer({ cert: fs.readFileSync(tls.cert), key: fs.readFileSync(tls.key) }, handler)
    : http.createServer(handler)
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address()
  return {
    port,
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    /** clusters: [{ clusterId, endpoint, capability }]; capability 3 (READABLE|WRITABLE) = primary. */
    setPrimary(version, clusters) {
      reply = { status: 200, body: { code: 0, message: '', data: { version: String(version), clusters } } }
    },
    /** Any status and body (an object is sent as JSON). */
    setReply(status, body) {
      reply = { status, body }
    },
    close() {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

/** Two clusters, `primary` (an address) writable, `standby` readable only. */
function clusters(primary, standby) {
  return [
    { clusterId: 'primary', endpoint: primary, capability: 3 },
    { clusterId: 'standby', endpoint: standby, capability: 1 },
  ]
}

module.exports = { startTopology, clusters }
