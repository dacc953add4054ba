// `milvus-native/sim`: the Milvus simulator (milvus-sim) for tests and CI.

export interface StartSimOptions {
  /** Address to bind. Default `127.0.0.1`. */
  host?: string
  /** Port to bind; `0` (the default) picks a free one. */
  port?: number
  /**
   * Scripted GetRestoreSnapshotState replies and faults keyed by job id (see the simulator's
   * README), as an object (written to a temp file) or the path of a JSON file.
   */
  fixtures?: Record<string, unknown> | string
  /** Write one JSON line per call attempt to this file. */
  record?: string
  /** More milvus-sim flags, e.g. `['--collection', 'db1/books', '--restore-ms', '500']`. */
  args?: string[]
  /** The executable; default: `MILVUS_SIM_BIN`, this platform's package, or a checkout's build. */
  bin?: string
  /** The simulator's environment; default `process.env`. */
  env?: NodeJS.ProcessEnv
  /** How long to wait for the simulator to listen, in ms. Default 30000. */
  timeout?: number
}

export interface Sim {
  /** `host:port`, ready for `new MilvusClient({ address })`. */
  address: string
  host: string
  port: number
  pid: number | undefined
  /** Settles when the simulator has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Ends the simulator (SIGTERM) and resolves once it has exited. */
  stop(): Promise<void>
}

/**
 * Starts milvus-sim and resolves once it listens. It exits with this process and does not keep
 * it alive; `stop()` ends it sooner.
 */
export function startSim(options?: StartSimOptions): Promise<Sim>

/** The milvus-sim executable that `startSim` and `npx milvus-sim` run. */
export function simPath(): string
