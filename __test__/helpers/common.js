'use strict'
// Small helpers several suites share.

const assert = require('node:assert/strict')

/** The rejection of p; assert.rejects fails the test if p resolves. */
async function rejection(p) {
  let err
  await assert.rejects(p, (e) => {
    err = e
    return true
  })
  return err
}

/** A valid request for each of the nine snapshot methods, naming `collection`. */
function snapshotCalls(collection = 'books') {
  return {
    getRestoreSnapshotState: { job_id: 1 },
    createSnapshot: { collection_name: collection, snapshot_name: 's' },
    dropSnapshot: { collection_name: collection, snapshot_name: 's' },
    listSnapshots: { collection_name: collection },
    describeSnapshot: { collection_name: collection, snapshot_name: 's' },
    restoreSnapshot: { snapshot_name: 's', source_collection_name: collection, target_collection_name: 'b2' },
    listRestoreSnapshotJobs: {},
    pinSnapshotData: { collection_name: collection, snapshot_name: 's' },
    unpinSnapshotData: { pin_id: 1 },
  }
}

/**
 * Open socket descriptors of this process. Sockets only: the addon's runtime opens its own few
 * descriptors (epoll, an eventfd) once, at its first call, and keeps them for the process's life.
 */
function socketFds() {
  const fs = require('node:fs')
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')
    } catch {
      return false // closed while listing
    }
  }).length
}

module.exports = { rejection, snapshotCalls, socketFds }
