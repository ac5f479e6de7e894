/**
 * A service of the daemon (DESIGN.md "Next shape", lifecycle/): pollers, webhook senders, the HTTP server, the
 * monitors (trail, stall) and the heartbeat. The composition root builds them, starts each with the one stop
 * signal, and stops them in reverse order of start within the shutdown budget.
 */
export interface Service {
  /** Names the service in logs ("http", "trail-monitor", "poller eu-west-1"). */
  readonly name: string;
  /**
   * Runs until `signal` aborts (or the service has nothing more to do), then resolves. Rejects only with an
   * error that must stop the daemon (a FatalError); everything else the service handles itself (log, alert,
   * retry). Must not leave timers or sockets behind once it has settled.
   */
  run(signal: AbortSignal): Promise<void>;
}
