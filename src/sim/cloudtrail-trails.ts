import { SimServiceError } from './cloudtrail-errors';

/**
 * The simulator's trails: what DescribeTrails, GetTrailStatus and GetEventSelectors answer (API-FACTS A.7; shapes
 * from @aws-sdk/client-cloudtrail's models_0.d.ts). A mutable set, so a test can delete a trail, stop its logging,
 * change its selectors or take the permission away, and see the trail monitor react.
 */

export const SIM_ACCOUNT_ID = '123456789012';

/** A classic event selector (EventSelector in the model; DataResources left out). */
export interface SimEventSelector {
  ReadWriteType?: 'All' | 'ReadOnly' | 'WriteOnly';
  IncludeManagementEvents?: boolean;
  ExcludeManagementEventSources?: string[];
}

/** An advanced event selector: its field selectors are ANDed; the selectors of a trail are ORed. */
export interface SimAdvancedEventSelector {
  Name?: string;
  FieldSelectors: Array<{
    Field: string;
    Equals?: string[];
    StartsWith?: string[];
    EndsWith?: string[];
    NotEquals?: string[];
    NotStartsWith?: string[];
    NotEndsWith?: string[];
  }>;
}

/** A trail is configured with one kind of selector or the other, never both (the model's documentation). */
export type SimSelectors = { EventSelectors: SimEventSelector[] } | { AdvancedEventSelectors: SimAdvancedEventSelector[] };

export interface SimTrail {
  /** Not validated: tests use hostile names on purpose (real names are ASCII letters, digits, `._-`). */
  Name: string;
  HomeRegion: string;
  IsMultiRegionTrail: boolean;
  IncludeGlobalServiceEvents: boolean;
  IsOrganizationTrail: boolean;
  S3BucketName: string;
  isLogging: boolean;
  selectors: SimSelectors;
  /** ms epoch, service time. */
  startLoggingTime?: number;
  stopLoggingTime?: number;
}

/** The three trail operations; `deny` makes them answer AccessDenied (the monitor's permission removed). */
export const TRAIL_OPERATIONS = ['DescribeTrails', 'GetTrailStatus', 'GetEventSelectors'] as const;
export type TrailOperation = (typeof TRAIL_OPERATIONS)[number];

/** Every management event, read and write: what a new trail records by default. */
export const ALL_MANAGEMENT_EVENTS: SimSelectors = {
  EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true, ExcludeManagementEventSources: [] }],
};

/** The trail a healthy account has: multi-region, global service events, logging, every management event. */
export function defaultTrail(homeRegion: string, now: number): SimTrail {
  return {
    Name: 'management-events',
    HomeRegion: homeRegion,
    IsMultiRegionTrail: true,
    IncludeGlobalServiceEvents: true,
    IsOrganizationTrail: false,
    S3BucketName: `aws-cloudtrail-logs-${SIM_ACCOUNT_ID}`,
    isLogging: true,
    selectors: ALL_MANAGEMENT_EVENTS,
    startLoggingTime: now - 86_400_000,
  };
}

export function trailArn(trail: Pick<SimTrail, 'Name' | 'HomeRegion'>): string {
  return `arn:aws:cloudtrail:${trail.HomeRegion}:${SIM_ACCOUNT_ID}:trail/${trail.Name}`;
}

/** A trail is seen from `region` when it lives there, or as a shadow trail when it is multi-region. */
function visibleFrom(trail: SimTrail, region: string): boolean {
  return trail.HomeRegion === region || trail.IsMultiRegionTrail;
}

/** GetTrailStatus / GetEventSelectors `Name`: a name finds a trail of this region, an ARN also a shadow trail. */
export function findTrail(trails: Iterable<SimTrail>, region: string, name: unknown): SimTrail {
  if (typeof name !== 'string' || name === '') throw new SimServiceError('InvalidTrailNameException', 400, 'Trail name or ARN is required');
  for (const trail of trails) {
    if (name.startsWith('arn:') ? trailArn(trail) === name && visibleFrom(trail, region) : trail.Name === name && trail.HomeRegion === region) {
      return trail;
    }
  }
  throw new SimServiceError('TrailNotFoundException', 404, `Unknown trail: ${name} for the user: ${SIM_ACCOUNT_ID}`);
}

/** DescribeTrails: lower camelCase members on the wire (`trailNameList`, `includeShadowTrails`, `trailList`). */
export function describeTrails(trails: Iterable<SimTrail>, region: string, body: Record<string, unknown>): unknown {
  const names = Array.isArray(body.trailNameList) ? body.trailNameList.filter((n): n is string => typeof n === 'string') : [];
  const shadows = body.includeShadowTrails !== false; // defaults to true
  const trailList = [...trails]
    .filter((trail) => trail.HomeRegion === region || (shadows && trail.IsMultiRegionTrail))
    .filter((trail) => names.length === 0 || names.includes(trail.Name) || names.includes(trailArn(trail)))
    .map((trail) => ({
      Name: trail.Name,
      S3BucketName: trail.S3BucketName,
      IncludeGlobalServiceEvents: trail.IncludeGlobalServiceEvents,
      IsMultiRegionTrail: trail.IsMultiRegionTrail,
      HomeRegion: trail.HomeRegion,
      TrailARN: trailArn(trail),
      LogFileValidationEnabled: true,
      HasCustomEventSelectors: trail.selectors !== ALL_MANAGEMENT_EVENTS,
      HasInsightSelectors: false,
      IsOrganizationTrail: trail.IsOrganizationTrail,
    }));
  return { trailList };
}

/** GetTrailStatus: timestamps are epoch seconds (API-FACTS A.7). */
export function trailStatus(trail: SimTrail, now: number): unknown {
  const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
  // A logging trail delivers a log file about every 5 minutes; a stopped one delivered last before it stopped.
  const lastDelivery = trail.isLogging ? now - 5 * 60_000 : trail.stopLoggingTime;
  return {
    IsLogging: trail.isLogging,
    StartLoggingTime: seconds(trail.startLoggingTime),
    StopLoggingTime: seconds(trail.stopLoggingTime),
    LatestDeliveryTime: seconds(lastDelivery),
  };
}

export function eventSelectors(trail: SimTrail): unknown {
  return { TrailARN: trailArn(trail), ...trail.selectors };
}

/** What a test changes: a trail by name (added with the default trail's settings when new), its logging, the deny. */
export interface SimTrailControl {
  /** Copies of the trails, in creation order. */
  list(): SimTrail[];
  /** Adds a trail, or changes the named one: `{ Name: 'x', IsMultiRegionTrail: false }`, `{ Name: 'x', selectors }`. */
  put(trail: Partial<SimTrail> & { Name: string }): void;
  /** DeleteTrail. */
  remove(name: string): void;
  /** StopLogging / StartLogging (records the time, as GetTrailStatus reports it). */
  setLogging(name: string, on: boolean): void;
  /** true: DescribeTrails, GetTrailStatus and GetEventSelectors answer AccessDenied; LookupEvents still works. */
  deny(on: boolean): void;
  readonly denied: boolean;
}

/** The trail set, starting with one healthy default trail homed in `homeRegion`. */
export function createTrailSet(homeRegion: string, now: () => number): { trails: Map<string, SimTrail>; control: SimTrailControl } {
  const trails = new Map<string, SimTrail>();
  const first = defaultTrail(homeRegion, now());
  trails.set(first.Name, first);
  let denied = false;
  const named = (name: string): SimTrail => {
    const trail = trails.get(name);
    if (!trail) throw new Error(`simulator: no trail named ${name}`);
    return trail;
  };
  const control: SimTrailControl = {
    list: () => [...trails.values()].map((trail) => ({ ...trail })),
    put(change) {
      const base = trails.get(change.Name) ?? { ...defaultTrail(homeRegion, now()), startLoggingTime: now() };
      trails.set(change.Name, { ...base, ...change });
    },
    remove(name) {
      named(name);
      trails.delete(name);
    },
    setLogging(name, on) {
      const trail = named(name);
      if (trail.isLogging === on) return;
      trails.set(name, on ? { ...trail, isLogging: true, startLoggingTime: now() } : { ...trail, isLogging: false, stopLoggingTime: now() });
    },
    deny(on) {
      denied = on;
    },
    get denied() {
      return denied;
    },
  };
  return { trails, control };
}
